//! A TCP proxy on loopback that a test can stop and start again: stopped, it closes every
//! connection and refuses new ones, which is what a database that went down looks like to its
//! clients (without stopping the machine's PostgreSQL, which other tests share).
//!
//! Written here rather than taken from a crate: the fault-injection proxies there are
//! (toxiproxy and its ports) are servers driven over their own HTTP API; the test needs two
//! calls on loopback, which `tokio::io::copy_bidirectional` makes a few lines.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::{JoinHandle, JoinSet};

pub struct TcpProxy {
    /// Where clients connect.
    pub address: SocketAddr,
    upstream: SocketAddr,
    accepting: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let proxy = Self {
            address: listener.local_addr().expect("address"),
            upstream,
            accepting: Mutex::new(None),
            connections: Arc::new(Mutex::new(JoinSet::new())),
        };
        proxy.accept_on(listener).await;
        proxy
    }

    /// Closes every open connection and refuses new ones until [`resume`](Self::resume);
    /// returns once both are done.
    pub async fn stop(&self) {
        if let Some(accepting) = self.accepting.lock().await.take() {
            accepting.abort();
            let _ = accepting.await;
        }
        self.connections.lock().await.shutdown().await;
    }

    /// Accepts connections again, on the same port.
    pub async fn resume(&self) {
        // The aborted listener closes once its task is dropped; binding may race it briefly.
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(self.address).await {
                self.accept_on(listener).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not listen on {} again", self.address);
    }

    async fn accept_on(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let connections = self.connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut connections = connections.lock().await;
                while connections.try_join_next().is_some() {}
                connections.spawn(forward(client, upstream));
            }
        });
        *self.accepting.lock().await = Some(task);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(accepting) = self.accepting.get_mut().take() {
            accepting.abort();
        }
        if let Ok(mut connections) = self.connections.try_lock() {
            connections.abort_all();
        }
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
