pub async fn run(_keep: bool) -> anyhow::Result<()> {
    Ok(())
}
