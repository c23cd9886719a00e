//! Feeds arbitrary bytes to the watch decoder, split where the input says,
//! and checks the decoder's promises: no panic, the same transcript however
//! the bytes are split and whether they are copied (`feed`) or read in
//! place (`next_event_from`), and sticky errors.
#![no_main]

use kubewire::decode::{DecodeError, WatchConfig, WatchDecoder};
use libfuzzer_sys::fuzz_target;

type Transcript = (
    Vec<(&'static str, Option<String>, u64, Vec<u8>)>,
    Result<(), DecodeError>,
);

fn run<'a>(
    config: WatchConfig,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    in_place: bool,
) -> Transcript {
    let mut d = WatchDecoder::with_config(config);
    let mut out = Vec::new();
    for piece in pieces {
        let mut rest = piece;
        if !in_place {
            d.feed(piece);
            rest = &[];
        }
        loop {
            let next = if in_place {
                d.next_event_from(&mut rest)
            } else {
                d.next_event()
            };
            match next {
                Ok(Some(e)) => {
                    // Lazy deserialization must never panic either.
                    let _ = e.deserialize::<serde_json::Value>();
                    let _ = e.is_initial_events_end();
                    out.push((
                        e.event_type().as_str(),
                        e.resource_version().map(String::from),
                        e.offset(),
                        e.raw_object().to_vec(),
                    ));
                }
                Ok(None) => {
                    assert!(rest.is_empty());
                    break;
                }
                Err(e) => {
                    // Sticky: the same error again, whatever comes next.
                    d.feed(b"\n");
                    assert_eq!(d.next_event().err(), Some(e.clone()));
                    assert_eq!(d.finish().err(), Some(e.clone()));
                    return (out, Err(e));
                }
            }
        }
    }
    let end = d.finish();
    (out, end)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size, the second the limits.
    let (Some(&size), Some(&mode)) = (data.first(), data.get(1)) else {
        return;
    };
    let body = &data[2..];
    let mut config = WatchConfig::default().check_objects(mode & 1 == 1);
    if mode & 2 == 2 {
        config = config.max_line(64).max_depth(4);
    }
    let whole = run(config, [body], false);
    let chunks = || body.chunks(usize::from(size).max(1));
    assert_eq!(run(config, chunks(), false), whole);
    assert_eq!(run(config, chunks(), true), whole);
    assert_eq!(run(config, [body], true), whole);
    assert_eq!(run(config, body.chunks(1), false), whole);
});
