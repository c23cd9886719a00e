//! Many HTTP exchanges over one streaming response: the frames `kw proxy`
//! writes and the browser adapter reads, so that a page holding dozens of
//! watches needs one connection for all their bodies instead of one each
//! (a browser opens about six HTTP/1.1 connections per host, and a seventh
//! watch would wait for one of them to end).
//!
//! The multiplexer is transport, not protocol: each exchange's frames carry
//! exactly what a fetch of it would have given (the status, a
//! `Retry-After`, the body bytes in any split, its end or its cut), and the
//! adapter feeds them to that exchange's own decoder or list+watch machine
//! unchanged. Nothing here knows what a watch is.
//!
//! ## Wire format
//!
//! The stream (`GET /.kw/mux?session=S`, media type [`MEDIA_TYPE`]) is a
//! sequence of frames, each a 9-byte header then its payload:
//!
//! ```text
//! kind: u8 | stream id: u32 big-endian | payload length: u32 big-endian | payload
//! ```
//!
//! - [`FrameKind::Head`]: the exchange's status (u16 big-endian), then its
//!   `Retry-After` value (ASCII, possibly empty).
//! - [`FrameKind::Body`]: bytes of the body, at most [`MAX_PAYLOAD`].
//! - [`FrameKind::End`]: the body ended (empty payload).
//! - [`FrameKind::Cut`]: the exchange failed (the upstream could not be
//!   reached after the head, or its body broke); the payload says why.
//!
//! A page starts and stops exchanges with small control requests
//! (`POST /.kw/mux?session=S`, body a [`Control`] in text): `OPEN id path`
//! with the request's headers on the following lines, or `STOP id`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The media type of the multiplexed stream: what a page checks to know
/// it is talking to a `kw proxy`.
pub const MEDIA_TYPE: &str = "application/vnd.kubewire.mux";

/// The path of the stream and of its control requests, at the proxy's
/// root (before `/clusters/CONTEXT`).
pub const PATH: &str = "/.kw/mux";

/// The largest payload of one frame. Bigger body chunks are split; a
/// header announcing more is an error (no reader buffers without bound).
pub const MAX_PAYLOAD: usize = 1 << 20;

/// The largest control request: a path and a few headers.
pub const MAX_CONTROL: usize = 16 << 10;

const HEADER: usize = 9;

/// What a frame says about its exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameKind {
    /// The answer's status and `Retry-After` (first frame of an exchange).
    Head {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` header, if the answer had one.
        retry_after: Option<String>,
    },
    /// Bytes of the body.
    Body(Vec<u8>),
    /// The body is complete.
    End,
    /// The exchange broke; why, in words (never credentials).
    Cut(String),
}

/// One frame: an exchange's id and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The exchange, as the page numbered it in its `OPEN`.
    pub id: u32,
    /// What happened.
    pub kind: FrameKind,
}

impl Frame {
    /// The frame's bytes, appended to `out`. A body longer than
    /// [`MAX_PAYLOAD`] must be split by the caller ([`encode_body`] does).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (kind, payload): (u8, &[u8]) = match &self.kind {
            FrameKind::Head {
                status,
                retry_after,
            } => {
                let ra = retry_after.as_deref().unwrap_or_default().as_bytes();
                put_header(out, 1, self.id, 2 + ra.len());
                out.extend_from_slice(&status.to_be_bytes());
                out.extend_from_slice(ra);
                return;
            }
            FrameKind::Body(b) => (2, b),
            FrameKind::End => (3, &[]),
            FrameKind::Cut(why) => (4, why.as_bytes()),
        };
        put_header(out, kind, self.id, payload.len());
        out.extend_from_slice(payload);
    }
}

/// Body bytes of exchange `id` as frames of at most [`MAX_PAYLOAD`],
/// appended to `out`, without copying them into a [`Frame`] first.
pub fn encode_body(id: u32, bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(MAX_PAYLOAD) {
        put_header(out, 2, id, chunk.len());
        out.extend_from_slice(chunk);
    }
}

fn put_header(out: &mut Vec<u8>, kind: u8, id: u32, len: usize) {
    out.push(kind);
    out.extend_from_slice(&id.to_be_bytes());
    // Callers keep payloads within MAX_PAYLOAD, far below u32::MAX.
    out.extend_from_slice(&(len as u32).to_be_bytes());
}

/// Why a stream of frames cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MuxError {
    /// A frame of a kind this version does not know, at this offset of
    /// the stream.
    UnknownKind {
        /// The kind byte.
        kind: u8,
        /// The frame's offset in the stream.
        offset: u64,
    },
    /// A frame longer than [`MAX_PAYLOAD`], or a head or end frame of the
    /// wrong length.
    BadLength {
        /// The announced length.
        len: u32,
        /// The frame's offset in the stream.
        offset: u64,
    },
    /// The stream ended inside a frame.
    Truncated {
        /// The offset of the incomplete frame.
        offset: u64,
    },
}

impl fmt::Display for MuxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MuxError::UnknownKind { kind, offset } => {
                write!(f, "unknown mux frame kind {kind} at byte {offset}")
            }
            MuxError::BadLength { len, offset } => {
                write!(f, "mux frame of invalid length {len} at byte {offset}")
            }
            MuxError::Truncated { offset } => {
                write!(f, "mux stream ended inside the frame at byte {offset}")
            }
        }
    }
}

impl core::error::Error for MuxError {}

/// Reads frames out of the stream's bytes, split anywhere. Holds at most
/// one frame's worth of bytes beyond what was fed and not yet read. After
/// an error it stays failed.
#[derive(Debug, Default)]
pub struct MuxDecoder {
    buf: Vec<u8>,
    /// Where the next frame starts in `buf`.
    pos: usize,
    /// The stream offset of `buf[0]`.
    base: u64,
    failed: Option<MuxError>,
}

impl MuxDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// More bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // Compact before growing: what was read is never needed again.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame; `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, MuxError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = &self.buf[self.pos..];
        let Some(head) = rest.get(..HEADER) else {
            return Ok(None);
        };
        let kind = head[0];
        let id = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let len = u32::from_be_bytes([head[5], head[6], head[7], head[8]]);
        let offset = self.base + self.pos as u64;
        let fixed_ok = match kind {
            1 => len >= 2,
            3 => len == 0,
            2 | 4 => true,
            _ => return self.fail(MuxError::UnknownKind { kind, offset }),
        };
        if !fixed_ok || len as usize > MAX_PAYLOAD {
            return self.fail(MuxError::BadLength { len, offset });
        }
        let Some(payload) = rest.get(HEADER..HEADER + len as usize) else {
            return Ok(None);
        };
        let kind = match kind {
            1 => FrameKind::Head {
                status: u16::from_be_bytes([payload[0], payload[1]]),
                retry_after: match &payload[2..] {
                    [] => None,
                    ra => Some(String::from_utf8_lossy(ra).into_owned()),
                },
            },
            2 => FrameKind::Body(payload.to_vec()),
            3 => FrameKind::End,
            _ => FrameKind::Cut(String::from_utf8_lossy(payload).into_owned()),
        };
        self.pos += HEADER + len as usize;
        Ok(Some(Frame { id, kind }))
    }

    /// The stream ended: an error if it ended inside a frame.
    pub fn finish(&mut self) -> Result<(), MuxError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.pos < self.buf.len() {
            let offset = self.base + self.pos as u64;
            return self.fail(MuxError::Truncated { offset });
        }
        Ok(())
    }

    fn fail<T>(&mut self, e: MuxError) -> Result<T, MuxError> {
        self.buf = Vec::new();
        self.pos = 0;
        self.failed = Some(e.clone());
        Err(e)
    }
}

/// A control request: start an exchange over the stream, or stop one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// Send `GET path_and_query` (under the proxy's root: it starts with
    /// `/clusters/CONTEXT/`) with these headers; its frames carry `id`.
    Open {
        /// The exchange's id, chosen by the page, unique in its session.
        id: u32,
        /// The request's path and query.
        path_and_query: String,
        /// The request's headers (the proxy forwards only those it
        /// forwards for any request).
        headers: Vec<(String, String)>,
    },
    /// Stop exchange `id`: no more frames for it.
    Stop {
        /// The exchange's id.
        id: u32,
    },
}

/// Why a control request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// Longer than [`MAX_CONTROL`].
    TooLarge,
    /// Not `OPEN id path` + headers or `STOP id`.
    Malformed,
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ControlError::TooLarge => "mux control request too large",
            ControlError::Malformed => "malformed mux control request",
        })
    }
}

impl core::error::Error for ControlError {}

impl Control {
    /// The request body.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        match self {
            Control::Open {
                id,
                path_and_query,
                headers,
            } => {
                s.push_str("OPEN ");
                s.push_str(&u32_text(*id));
                s.push(' ');
                s.push_str(path_and_query);
                for (n, v) in headers {
                    s.push('\n');
                    s.push_str(n);
                    s.push_str(": ");
                    s.push_str(v);
                }
            }
            Control::Stop { id } => {
                s.push_str("STOP ");
                s.push_str(&u32_text(*id));
            }
        }
        s
    }

    /// A control request's body. Paths must start with `/` and hold no
    /// space or control character (they are URL paths, percent-encoded);
    /// header lines are `name: value`.
    pub fn parse(body: &[u8]) -> Result<Control, ControlError> {
        if body.len() > MAX_CONTROL {
            return Err(ControlError::TooLarge);
        }
        let text = core::str::from_utf8(body).map_err(|_| ControlError::Malformed)?;
        let mut lines = text.split('\n');
        let first = lines.next().unwrap_or_default();
        let mut words = first.splitn(3, ' ');
        let verb = words.next().unwrap_or_default();
        let id: u32 = words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or(ControlError::Malformed)?;
        match (verb, words.next()) {
            ("STOP", None) => Ok(Control::Stop { id }),
            ("OPEN", Some(path)) => {
                if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
                    return Err(ControlError::Malformed);
                }
                let headers = lines
                    .map(|l| {
                        let (n, v) = l.split_once(':').ok_or(ControlError::Malformed)?;
                        let n = n.trim();
                        if n.is_empty() || l.bytes().any(|b| b < b' ' && b != b'\t') {
                            return Err(ControlError::Malformed);
                        }
                        Ok((String::from(n), String::from(v.trim())))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Control::Open {
                    id,
                    path_and_query: String::from(path),
                    headers,
                })
            }
            _ => Err(ControlError::Malformed),
        }
    }
}

/// The proxy root of a base URL that names one of its contexts
/// (`http://127.0.0.1:8001/clusters/prod` → `http://127.0.0.1:8001`,
/// `/clusters/prod/` → the empty string: the page's own origin), where
/// [`PATH`] would be; `None` for any other
/// base URL (a page then has no stream to probe).
pub fn proxy_root(base: &str) -> Option<&str> {
    let trimmed = base.trim_end_matches('/');
    let i = trimmed.rfind("/clusters/")?;
    let name = &trimmed[i + "/clusters/".len()..];
    if name.is_empty() || name.contains(['/', '?', '#']) {
        return None;
    }
    Some(&trimmed[..i])
}

fn u32_text(n: u32) -> String {
    use core::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(s, "{n}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn frames() -> Vec<Frame> {
        vec![
            Frame {
                id: 7,
                kind: FrameKind::Head {
                    status: 200,
                    retry_after: None,
                },
            },
            Frame {
                id: 7,
                kind: FrameKind::Body(b"{\"type\":\"ADDED\"}\n".to_vec()),
            },
            Frame {
                id: 300_000,
                kind: FrameKind::Head {
                    status: 429,
                    retry_after: Some("3".into()),
                },
            },
            Frame {
                id: 7,
                kind: FrameKind::End,
            },
            Frame {
                id: 300_000,
                kind: FrameKind::Cut("upstream reset".into()),
            },
            Frame {
                id: 1,
                kind: FrameKind::Body(Vec::new()),
            },
        ]
    }

    fn stream() -> Vec<u8> {
        let mut out = Vec::new();
        for f in frames() {
            f.encode(&mut out);
        }
        out
    }

    fn decode(chunks: &[&[u8]]) -> Result<Vec<Frame>, MuxError> {
        let mut d = MuxDecoder::new();
        let mut got = Vec::new();
        for c in chunks {
            d.feed(c);
            while let Some(f) = d.next_frame()? {
                got.push(f);
            }
        }
        d.finish()?;
        Ok(got)
    }

    #[test]
    fn every_split_gives_the_same_frames() {
        let bytes = stream();
        assert_eq!(decode(&[&bytes]).unwrap(), frames());
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(decode(&[a, b]).unwrap(), frames(), "split at {i}");
        }
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(decode(&ones).unwrap(), frames());
    }

    #[test]
    fn big_bodies_are_split_into_bounded_frames() {
        let big = vec![b'x'; MAX_PAYLOAD * 2 + 5];
        let mut out = Vec::new();
        encode_body(9, &big, &mut out);
        let got = decode(&[&out]).unwrap();
        assert_eq!(got.len(), 3);
        let joined: Vec<u8> = got
            .into_iter()
            .flat_map(|f| match f.kind {
                FrameKind::Body(b) => {
                    assert!(b.len() <= MAX_PAYLOAD);
                    b
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(joined, big);
    }

    #[test]
    fn bad_frames_fail_and_stay_failed() {
        let bytes = stream();
        // Cut inside the second frame.
        let cut = &bytes[..HEADER + 2 + 3];
        assert_eq!(
            decode(&[cut]),
            Err(MuxError::Truncated {
                offset: (HEADER + 2) as u64
            })
        );
        let mut unknown = bytes.clone();
        unknown[HEADER + 2] = 9;
        let mut d = MuxDecoder::new();
        d.feed(&unknown);
        assert!(d.next_frame().unwrap().is_some());
        let e = d.next_frame().unwrap_err();
        assert_eq!(
            e,
            MuxError::UnknownKind {
                kind: 9,
                offset: (HEADER + 2) as u64
            }
        );
        d.feed(&bytes);
        assert_eq!(d.next_frame(), Err(e));
        // A length past the limit is refused from the header alone.
        let mut huge = Vec::new();
        put_header(&mut huge, 2, 1, MAX_PAYLOAD + 1);
        assert!(matches!(
            decode(&[&huge]),
            Err(MuxError::BadLength { offset: 0, .. })
        ));
        // A head too short for its status.
        let mut short = Vec::new();
        put_header(&mut short, 1, 1, 1);
        short.push(2);
        assert!(matches!(decode(&[&short]), Err(MuxError::BadLength { .. })));
    }

    #[test]
    fn offsets_count_from_the_start_of_the_stream() {
        let bytes = stream();
        let mut d = MuxDecoder::new();
        for c in bytes.chunks(5) {
            d.feed(c);
            while d.next_frame().unwrap().is_some() {}
        }
        d.feed(&[8, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(
            d.next_frame(),
            Err(MuxError::UnknownKind {
                kind: 8,
                offset: bytes.len() as u64
            })
        );
    }

    #[test]
    fn proxy_roots_of_context_urls() {
        assert_eq!(
            proxy_root("http://127.0.0.1:8001/clusters/prod"),
            Some("http://127.0.0.1:8001")
        );
        assert_eq!(proxy_root("/clusters/dev/"), Some(""));
        assert_eq!(
            proxy_root("https://dash.example/k8s/clusters/a"),
            Some("https://dash.example/k8s")
        );
        for other in [
            "http://127.0.0.1:8001",
            "",
            "/clusters/",
            "/clusters/a/b",
            "/clusters/a?x",
        ] {
            assert_eq!(proxy_root(other), None, "{other}");
        }
    }

    #[test]
    fn control_requests_round_trip() {
        let open = Control::Open {
            id: 42,
            path_and_query: "/clusters/a/api/v1/pods?watch=1&resourceVersion=5".into(),
            headers: vec![("Accept".into(), "application/json".into())],
        };
        assert_eq!(Control::parse(open.encode().as_bytes()), Ok(open));
        let stop = Control::Stop { id: 3 };
        assert_eq!(stop.encode(), "STOP 3");
        assert_eq!(Control::parse(b"STOP 3"), Ok(stop));
    }

    #[test]
    fn malformed_control_requests_are_refused() {
        for bad in [
            &b""[..],
            b"OPEN",
            b"OPEN x /a",
            b"OPEN 1",
            b"OPEN 1 a/b",
            b"OPEN 1 /a b",
            b"OPEN 1 /a\nno-colon",
            b"OPEN 1 /a\n: v",
            b"OPEN 1 /a\nx: a\rb",
            b"STOP",
            b"STOP 1 2",
            b"STOP -1",
            b"PING 1",
            b"\xff",
        ] {
            assert_eq!(
                Control::parse(bad),
                Err(ControlError::Malformed),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
        let long = vec![b'a'; MAX_CONTROL + 1];
        assert_eq!(Control::parse(&long), Err(ControlError::TooLarge));
    }
}
