//! The response-headers deadline (a `wasi:clocks` pollable raced against
//! the response's) and that waiting on it costs no CPU: a guest that spun
//! would burn the whole wait. Its own test binary, so no other test runs
//! in the process while CPU time is measured.

use std::time::{Duration, Instant};

use kubewire::known;
use kubewire_conformance::{Adapter, Failure, Target};
use kubewire_wasi_host::{client_component_path, Host, WasiAdapter};
use tokio::net::TcpListener;

/// This process's user + system CPU time, from /proc/self/stat (in clock
/// ticks of 10 ms on Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // Fields after the parenthesized command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_timeout_waits_on_a_clock_pollable_without_spinning() {
    // A server that accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });

    let host = Host::new(&client_component_path()).with_timeout_ms(1500);
    let mut adapter = WasiAdapter::new(host);
    let target = Target {
        server: format!("http://{addr}"),
        token: None,
        ca_pem: None,
    };
    let (wall, cpu) = (Instant::now(), cpu_time());
    // Compiling the component took seconds of CPU: the reading works.
    assert!(cpu > Duration::from_millis(100), "{cpu:?}");
    let got = tokio::time::timeout(
        Duration::from_secs(20),
        adapter.get(&target, &known::config_maps(), "default", "x"),
    )
    .await
    .expect("the component's own deadline fires first");
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    silent.abort();

    assert_eq!(got.err(), Some(Failure::Timeout));
    assert!(
        wall >= Duration::from_millis(1400) && wall < Duration::from_secs(10),
        "{wall:?}"
    );
    println!("waited {wall:.2?} using {cpu:.2?} of CPU");
    assert!(
        cpu < wall / 3,
        "{cpu:?} of CPU in {wall:?}: the guest is spinning"
    );
}
