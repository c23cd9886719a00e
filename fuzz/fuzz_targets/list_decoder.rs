//! Feeds arbitrary bytes to the LIST decoder, split where the input says, and
//! checks: no panic, the same items and end however the bytes are split, and
//! sticky errors.
#![no_main]

use kubewire::decode::{DecodeError, ListDecoder, ListLimits, ListMeta};
use libfuzzer_sys::fuzz_target;

type Transcript = (Vec<(u64, Vec<u8>)>, Result<Option<ListMeta>, DecodeError>);

fn run<'a>(limits: ListLimits, pieces: impl IntoIterator<Item = &'a [u8]>) -> Transcript {
    let mut d = ListDecoder::with_limits(limits);
    let mut out = Vec::new();
    for piece in pieces {
        d.feed(piece);
        loop {
            match d.next_item() {
                Ok(Some(item)) => {
                    let _ = item.deserialize::<serde_json::Value>();
                    let _ = item.resource_version();
                    assert_eq!(item.index(), out.len() as u64);
                    out.push((item.offset(), item.raw().to_vec()));
                }
                Ok(None) => break,
                Err(e) => {
                    d.feed(b"]}");
                    assert_eq!(d.next_item().err(), Some(e.clone()));
                    assert_eq!(d.finish().err(), Some(e.clone()));
                    return (out, Err(e));
                }
            }
        }
    }
    let end = d.finish().map(|()| d.metadata().cloned());
    (out, end)
}

fuzz_target!(|data: &[u8]| {
    let (Some(&size), Some(&mode)) = (data.first(), data.get(1)) else {
        return;
    };
    let body = &data[2..];
    let limits = if mode & 1 == 1 {
        ListLimits::default().max_item(64).max_depth(4)
    } else {
        ListLimits::default()
    };
    let whole = run(limits, [body]);
    assert_eq!(run(limits, body.chunks(usize::from(size).max(1))), whole);
    assert_eq!(run(limits, body.chunks(1)), whole);
});
