use super::*;

async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("node.db").display());
    let store = Store::open(&url, Durability::Normal).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn a_failed_job_rolls_back_alone_and_the_others_commit() {
    let (_dir, store) = temp_store().await;
    let mut handles = Vec::new();
    for i in 0..20i64 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |conn| {
                boxed(async move {
                    sqlx::query("INSERT INTO peers (participant, endpoint, ca_der, added_at) VALUES ($1, 'x', $2, 0)")
                        .bind(format!("P{i}"))
                        .bind(vec![1u8])
                        .execute(&mut *conn)
                        .await?;
                    if i % 5 == 0 {
                        return Err(StoreError::corrupt("refused on purpose"));
                    }
                    Ok::<_, StoreError>(i)
                })
            })
            .await
        }));
    }
    let mut ok = 0;
    for h in handles {
        if h.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 16);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM peers")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, 16, "the four failing jobs left nothing behind");
}
