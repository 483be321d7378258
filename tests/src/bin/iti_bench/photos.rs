//! (5) photos: a seized cache's photographs, from GHA to BEL through the
//! hub, each an `iti-node` process. GHA's officer stores them (as `itictl
//! photo add` does, in parts of 1 MiB) and sends requests naming them, 32
//! to a request (the most an item holds); BEL's officers then open them,
//! several at once, and BEL's node fetches each from GHA through the hub in
//! chunks of 1 MiB, every chunk asked with a signed ask and sealed to BEL.
//! It prints the rates, and the memory of each process: idle before, its
//! peak during the fetches (sampled every 50 ms), and idle after. The
//! target (issue #16): within 50 MB of idle at every node during the
//! transfer, and back to idle after it.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use futures::StreamExt;
use iti_node::identity::Role;
use iti_node::photo::{CHUNK_BYTES, PhotoHash};
use iti_proto::v1 as pb;
use iti_proto::v1::local_client::LocalClient;
use iti_tests::bench::{local_client, p50_p99_max};
use iti_tests::fixtures;
use iti_tests::process::{NodeProcess, rss_kb};
use pb::recovered_item::Item;
use tonic::transport::Channel;

use super::{Args, HubCase, idle_rss, start_hub_case};

/// The most photographs one item holds (bounds: `photographs` ≤ 32).
const PER_REQUEST: usize = 32;

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut case = start_hub_case(args).await?;
    let outcome = measure(args, &mut case).await;
    case.stop(args.keep).await?;
    outcome
}

async fn measure(args: &Args, case: &mut HubCase) -> anyhow::Result<()> {
    let size = (args.photo_mb * 1e6) as usize;
    let total_mb = (size * args.photos) as f64 / 1e6;
    println!(
        "(5) photos through the hub: {} photographs of {} bytes ({total_mb:.0} MB), GHA -> hub -> BEL",
        args.photos, size
    );
    let gha = local_client(&mut case.sandbox, "GHA", Role::Poc, &case.gha)?;
    let bel = local_client(&mut case.sandbox, "BEL", Role::Poc, &case.bel)?;
    let nodes = [("GHA", &case.gha), ("hub", &case.hub), ("BEL", &case.bel)];
    let before = idle_rss(&nodes).await;

    let started = Instant::now();
    let mut attachments = Vec::with_capacity(args.photos);
    for i in 0..args.photos {
        attachments.push(upload(gha.clone(), photo(i, size)).await?);
    }
    let uploaded = started.elapsed();
    println!(
        "  stored at GHA (UploadPhoto, parts of {} KiB): {:.1} s, {:.1} MB/s",
        CHUNK_BYTES >> 10,
        uploaded.as_secs_f64(),
        total_mb / uploaded.as_secs_f64()
    );

    let started = Instant::now();
    let traces = send(gha.clone(), &attachments).await?;
    for trace in &traces {
        until_held(bel.clone(), trace).await?;
    }
    println!(
        "  sent: {} requests naming them, all held by BEL after {:.0} ms",
        traces.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let after_upload = idle_rss(&nodes).await;
    let sampler = PeakSampler::start(&nodes);
    let started = Instant::now();
    let hashes: Vec<String> = attachments.iter().map(|a| a.sha256.clone()).collect();
    let mut latencies = futures::stream::iter(hashes)
        .map(|hash| open(bel.clone(), hash))
        .buffer_unordered(args.photo_concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<Duration>>>()?;
    let fetched = started.elapsed();
    let peaks = sampler.finish().await;
    latencies.sort();
    println!(
        "  opened by BEL's officers, {} at once (BEL fetching each from GHA through the hub): \
         {:.1} s, {:.1} MB/s; per photograph {}",
        args.photo_concurrency,
        fetched.as_secs_f64(),
        total_mb / fetched.as_secs_f64(),
        p50_p99_max(&latencies)
    );
    let after = idle_rss(&nodes).await;
    println!(
        "  memory (RSS, MB): idle at start | idle before the fetches | peak during them (over \
         that idle) | idle after [its anonymous part]"
    );
    let mb = |kb: Option<u64>| kb.unwrap_or(0) as f64 / 1024.0;
    for (i, (who, _)) in nodes.iter().enumerate() {
        let (idle, peak) = (mb(after_upload[i].rss), mb(peaks.get(i).copied()));
        println!(
            "    {who:<4} {:>6.1} | {idle:>6.1} | {peak:>6.1} ({:+.1}) | {:>6.1} [{:.1}]",
            mb(before[i].rss),
            peak - idle,
            mb(after[i].rss),
            mb(after[i].anon)
        );
    }
    Ok(())
}

/// Photograph `i`: a JPEG as far as a node can tell (its first bytes),
/// distinct from every other.
fn photo(i: usize, size: usize) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0".to_vec();
    let seed = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut x = seed;
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

async fn upload(mut gha: LocalClient<Channel>, bytes: Vec<u8>) -> anyhow::Result<pb::Attachment> {
    let parts: Vec<pb::PhotoPart> = bytes
        .chunks(CHUNK_BYTES as usize)
        .map(|c| pb::PhotoPart {
            content: c.to_vec(),
        })
        .collect();
    Ok(gha
        .upload_photo(tokio_stream::iter(parts))
        .await
        .map_err(|e| anyhow!("uploading: {}", e.message()))?
        .into_inner())
}

/// Requests naming the photographs, 32 to a request; their trace ids.
async fn send(
    mut gha: LocalClient<Channel>,
    attachments: &[pb::Attachment],
) -> anyhow::Result<Vec<String>> {
    let mut traces = Vec::new();
    for photographs in attachments.chunks(PER_REQUEST) {
        let mut request = fixtures::fal_request();
        request.items.truncate(1);
        if let Some(Item::Weapon(w)) = request.items.first_mut().and_then(|i| i.item.as_mut()) {
            w.photographs = photographs.to_vec();
        }
        let sent = gha
            .submit_request(pb::SubmitRequestRequest {
                request: Some(request),
                allow_duplicate: true,
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow!("submitting: {}", e.message()))?
            .into_inner();
        traces.push(sent.trace_id);
    }
    Ok(traces)
}

async fn until_held(mut bel: LocalClient<Channel>, trace: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while bel
        .show_case(pb::ShowCaseRequest {
            id: trace.into(),
            ..Default::default()
        })
        .await
        .is_err()
    {
        anyhow::ensure!(Instant::now() < deadline, "BEL never held trace {trace}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// One photograph opened by BEL's officer; the time it took.
async fn open(mut bel: LocalClient<Channel>, hash: String) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let photo = bel
        .get_photo(pb::FetchPhotoRequest {
            sha256: hash.clone(),
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("opening {hash}: {}", e.message()))?
        .into_inner();
    let took = started.elapsed();
    let got = PhotoHash::of(&photo.content);
    anyhow::ensure!(got.as_str() == hash, "BEL got other bytes for {hash}");
    Ok(took)
}

/// The highest RSS of each process (kB, in the order given), sampled
/// every 50 ms.
pub struct PeakSampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<u64>>,
}

impl PeakSampler {
    pub fn start(nodes: &[(&str, &NodeProcess)]) -> PeakSampler {
        let pids: Vec<Option<u32>> = nodes.iter().map(|(_, n)| n.pid()).collect();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut peaks = vec![0; pids.len()];
            loop {
                for (peak, pid) in peaks.iter_mut().zip(&pids) {
                    *peak = pid.and_then(rss_kb).unwrap_or(0).max(*peak);
                }
                tokio::select! {
                    _ = &mut stopped => return peaks,
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
        });
        PeakSampler { stop, task }
    }

    pub async fn finish(self) -> Vec<u64> {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}
