//! A loopback TCP proxy in front of the scenario's server that cuts
//! connections when told to: at the first response byte stream that holds a
//! marker (in the middle of it: mid-event), all at once, or every
//! connection for a while (the server is "away").
//!
//! Adapters under test connect to [`Proxy::url`]; the admin client talks
//! to the server directly. Plain threads, so any runner (tokio, a blocking
//! pool, a browser over WebDriver) can use it.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long the proxy waits between forwarding the first half of a marker
/// and cutting: every adapter has read the bytes before it sees the end.
const LINGER: Duration = Duration::from_millis(300);

#[derive(Default)]
struct State {
    /// Markers not yet cut at.
    markers: Mutex<Vec<Vec<u8>>>,
    /// Every open connection: (client side, server side).
    open: Mutex<Vec<(TcpStream, TcpStream)>>,
    held: AtomicBool,
    stopped: AtomicBool,
    cuts: AtomicUsize,
}

impl State {
    /// Take `marker` off the list if `window` holds it: where it starts.
    fn marker_in(&self, window: &[u8]) -> Option<(usize, usize)> {
        let mut markers = self.markers.lock().expect("proxy state");
        let (i, at) = markers.iter().enumerate().find_map(|(i, m)| {
            window
                .windows(m.len())
                .position(|w| w == m.as_slice())
                .map(|at| (i, at))
        })?;
        let m = markers.remove(i);
        Some((at, m.len()))
    }
}

/// A running proxy; stopped (and every connection cut) when dropped.
pub struct Proxy {
    url: String,
    addr: std::net::SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// Listen on 127.0.0.1 and forward to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let state = Arc::new(State::default());
        let shared = state.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if shared.held.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                connect(&shared, client, server);
            }
        });
        Proxy {
            url: format!("http://{addr}"),
            addr,
            state,
        }
    }

    /// The URL adapters connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Cut the first response that carries `marker`, once, in the middle of
    /// it: the bytes before go through, then the connection ends.
    pub fn cut_at(&self, marker: &str) {
        self.state
            .markers
            .lock()
            .expect("proxy state")
            .push(marker.as_bytes().to_vec());
    }

    /// Cut every open connection now.
    pub fn cut_all(&self) {
        for (client, server) in self.state.open.lock().expect("proxy state").drain(..) {
            self.state.cuts.fetch_add(1, Ordering::SeqCst);
            cut(&client, &server);
        }
    }

    /// While held, every open connection is cut and new ones are closed as
    /// soon as they are accepted: the server is out of reach.
    pub fn hold(&self, on: bool) {
        self.state.held.store(on, Ordering::SeqCst);
        if on {
            self.cut_all();
        }
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> usize {
        self.state.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        self.cut_all();
        // Wake the accept loop so that it sees `stopped`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// End a connection the way a dying peer or middlebox does: FIN towards
/// the client (never a reset, which could drop bytes it has not read),
/// the server's side closed.
fn cut(client: &TcpStream, server: &TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let _ = server.shutdown(Shutdown::Both);
}

fn connect(state: &Arc<State>, client: TcpStream, server: TcpStream) {
    let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    state.open.lock().expect("proxy state").push((c, s));
    let (Ok(mut from_client), Ok(mut to_server)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let state = state.clone();
    thread::spawn(move || responses(&state, client, server));
}

/// Forward the server's bytes, looking for markers across reads.
fn responses(state: &State, mut client: TcpStream, mut server: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    // The end of what was forwarded, so that a marker split across reads
    // is found too.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut tail);
        let kept = window.len();
        window.extend_from_slice(&buf[..n]);
        if let Some((at, len)) = state.marker_in(&window) {
            // Up to the marker's middle, then nothing more.
            let middle = (at + len / 2).saturating_sub(kept).min(n);
            let _ = client.write_all(&buf[..middle]);
            let _ = client.flush();
            thread::sleep(LINGER);
            state.cuts.fetch_add(1, Ordering::SeqCst);
            cut(&client, &server);
            break;
        }
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
        let keep = window.len().min(256);
        tail = window.split_off(window.len() - keep);
    }
    let _ = client.shutdown(Shutdown::Write);
    let _ = server.shutdown(Shutdown::Both);
    // Forget this connection (its clones in `open` would keep it alive).
    let here = (client.local_addr().ok(), client.peer_addr().ok());
    state
        .open
        .lock()
        .expect("proxy state")
        .retain(|(c, _)| (c.local_addr().ok(), c.peer_addr().ok()) != here);
}
