//! A small TCP fault proxy: forwards a listening port to a target, and can
//! cut the link (every connection dropped, new ones refused at once) and
//! heal it, now or once so many bytes have come back from the target or
//! gone to it (a cut in the middle of a transfer). It can also carry the
//! bytes each way at the pace of a slow line. Put it between two nodes by
//! giving one of them a peer card that names the proxy's address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

pub struct FaultProxy {
    pub addr: SocketAddr,
    link: Arc<Link>,
    task: tokio::task::JoinHandle<()>,
}

struct Link {
    cut: AtomicBool,
    /// Bumped on every cut: connections in flight watch it and close.
    generation: watch::Sender<u64>,
    /// Bytes the target has sent back through the proxy since the count
    /// was last reset.
    answered: AtomicU64,
    /// Cut once `answered` reaches this (`u64::MAX`: never).
    cut_at: AtomicU64,
    /// Bytes the callers have sent to the target through the proxy since
    /// the count was last reset.
    asked: AtomicU64,
    /// Cut once `asked` reaches this (`u64::MAX`: never).
    cut_asked_at: AtomicU64,
    /// The pace of the line each way, in bytes a second (0: as fast as
    /// loopback), shared by every connection as one line is.
    pace: AtomicU64,
    /// When the line is free again, each way (to the target, back): bytes
    /// wait their turn.
    free_at: [Mutex<Instant>; 2],
}

impl Link {
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Counts `n` bytes answered, and cuts if that reaches the mark.
    fn answered(&self, n: usize) {
        let total = self.answered.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if total >= self.cut_at.load(Ordering::SeqCst) {
            self.cut_at.store(u64::MAX, Ordering::SeqCst);
            self.cut();
        }
    }

    /// Counts `n` bytes sent to the target, and cuts if that reaches the
    /// mark; false once cut (the bytes are then not passed on).
    fn asked(&self, n: usize) -> bool {
        let total = self.asked.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if total >= self.cut_asked_at.load(Ordering::SeqCst) {
            self.cut_asked_at.store(u64::MAX, Ordering::SeqCst);
            self.cut();
            return false;
        }
        true
    }

    /// When `n` bytes sent now one `way` (0: to the target, 1: back) have
    /// crossed the line at its pace.
    fn crossed_at(&self, way: usize, n: usize) -> Option<Instant> {
        let pace = self.pace.load(Ordering::SeqCst);
        if pace == 0 {
            return None;
        }
        let mut free_at = self.free_at[way].lock().unwrap_or_else(|e| e.into_inner());
        let start = (*free_at).max(Instant::now());
        *free_at = start + Duration::from_secs_f64(n as f64 / pace as f64);
        Some(*free_at)
    }
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> anyhow::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (generation, _) = watch::channel(0u64);
        let link = Arc::new(Link {
            cut: AtomicBool::new(false),
            generation,
            answered: AtomicU64::new(0),
            cut_at: AtomicU64::new(u64::MAX),
            asked: AtomicU64::new(0),
            cut_asked_at: AtomicU64::new(u64::MAX),
            pace: AtomicU64::new(0),
            free_at: [Mutex::new(Instant::now()), Mutex::new(Instant::now())],
        });
        let shared = link.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if shared.cut.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(forward(inbound, target, shared.clone()));
            }
        });
        Ok(FaultProxy { addr, link, task })
    }

    /// Cuts the link: open connections are dropped, new ones refused.
    pub fn cut(&self) {
        self.link.cut();
    }

    /// Cuts the link once `bytes` more have come back from the target.
    pub fn cut_after(&self, bytes: u64) {
        self.link.answered.store(0, Ordering::SeqCst);
        self.link.cut_at.store(bytes, Ordering::SeqCst);
    }

    /// Cuts the link once `bytes` more have gone to the target (a cut in
    /// the middle of an upload).
    pub fn cut_after_sent(&self, bytes: u64) {
        self.link.asked.store(0, Ordering::SeqCst);
        self.link.cut_asked_at.store(bytes, Ordering::SeqCst);
    }

    /// Carries the bytes each way at `bytes_per_second`, as a slow line
    /// would.
    pub fn slow_to(&self, bytes_per_second: u64) {
        self.link.pace.store(bytes_per_second, Ordering::SeqCst);
    }

    /// The bytes sent to the target since the last `cut_after_sent` (or
    /// `reset_count`).
    pub fn sent_bytes(&self) -> u64 {
        self.link.asked.load(Ordering::SeqCst)
    }

    /// The bytes the target has sent back since the last `cut_after` (or
    /// `reset_count`).
    pub fn answered_bytes(&self) -> u64 {
        self.link.answered.load(Ordering::SeqCst)
    }

    pub fn reset_count(&self) {
        self.link.answered.store(0, Ordering::SeqCst);
        self.link.asked.store(0, Ordering::SeqCst);
    }

    /// Whether the link is cut now.
    pub fn is_cut(&self) -> bool {
        self.link.cut.load(Ordering::SeqCst)
    }

    pub fn heal(&self) {
        self.link.cut.store(false, Ordering::SeqCst);
    }
}

/// One connection through the proxy, until either side closes or the link
/// is cut.
async fn forward(mut inbound: TcpStream, target: SocketAddr, link: Arc<Link>) {
    let mut cuts = link.generation.subscribe();
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    let (mut from_caller, mut to_caller) = inbound.split();
    let (mut from_target, mut to_target) = outbound.split();
    let asked = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from_caller.read(&mut buf).await?;
            if n == 0 || !link.asked(n) {
                return Ok::<_, std::io::Error>(());
            }
            if let Some(at) = link.crossed_at(0, n) {
                tokio::time::sleep_until(at).await;
            }
            to_target.write_all(&buf[..n]).await?;
        }
    };
    let answered = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from_target.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            if let Some(at) = link.crossed_at(1, n) {
                tokio::time::sleep_until(at).await;
            }
            to_caller.write_all(&buf[..n]).await?;
            link.answered(n);
        }
    };
    tokio::select! {
        _ = asked => {}
        _ = answered => {}
        _ = cuts.changed() => {}
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
