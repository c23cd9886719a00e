//! HTTP/1.1 over a blocking socket: the server URL, the connection (TCP,
//! or TLS inside it), the request head, the response head (`httparse`) and
//! the body's framing (`Content-Length`, chunked, or until close).
//!
//! Nothing here knows Kubernetes. Every read goes through one buffer and
//! the framing only consumes bytes it has parsed whole, so a read that
//! times out (the list+watch deadlines are socket read timeouts) leaves
//! the body where it was and the next read goes on from there.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::error::{is_timeout, DnsError, Error};

/// The most a response head (status line and headers) may take.
pub const MAX_HEAD: usize = 64 << 10;
/// The most headers a response may have.
pub const MAX_HEADERS: usize = 128;
/// How much one read asks of the socket.
const READ_SIZE: usize = 64 << 10;

/// What is wrong with a response as HTTP/1.1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The status line or a header does not parse.
    Head(httparse::Error),
    /// The head is larger than [`MAX_HEAD`].
    HeadTooLarge,
    /// The connection ended before the head was complete.
    HeadCut,
    /// `Content-Length` is not a number, or two of them differ.
    ContentLength,
    /// A `Transfer-Encoding` other than chunked.
    TransferEncoding,
    /// A chunk size line does not parse, or a chunk is not followed by CRLF.
    Chunk,
    /// The trailers after the last chunk are larger than [`MAX_HEAD`].
    TrailersTooLarge,
    /// The connection ended before the body was complete.
    BodyCut,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Head(e) => write!(f, "malformed response head: {e}"),
            HttpError::HeadTooLarge => write!(f, "response head larger than {MAX_HEAD} bytes"),
            HttpError::HeadCut => write!(f, "the connection closed before the response head"),
            HttpError::ContentLength => write!(f, "invalid Content-Length"),
            HttpError::TransferEncoding => write!(f, "unsupported Transfer-Encoding"),
            HttpError::Chunk => write!(f, "malformed chunked body"),
            HttpError::TrailersTooLarge => write!(f, "trailers larger than {MAX_HEAD} bytes"),
            HttpError::BodyCut => write!(f, "the connection closed before the body was complete"),
        }
    }
}

impl std::error::Error for HttpError {}

fn invalid(e: HttpError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// A server URL taken apart: `http(s)://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) tls: bool,
    /// The host to connect to (an IPv6 literal without its brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Host:` as sent: the URL's authority without user info.
    pub(crate) authority: String,
    /// A path prefix (a proxy's `/clusters/a`), without a trailing `/`.
    pub(crate) prefix: String,
}

impl Url {
    pub(crate) fn parse(server: &str) -> Result<Url, Error> {
        let bad = |why: &str| Error::Url(format!("{server:?}: {why}"));
        let (scheme, rest) = server.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("only http:// and https:// servers are supported")),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        if tail.contains(['?', '#']) {
            return Err(bad("a server URL has no query or fragment"));
        }
        if !tail.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad("the path has characters a URL cannot hold"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            if host.is_empty()
                || !host
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err(bad("not an IPv6 address"));
            }
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let host_ok = |h: &str| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
        };
        if !host_ok(host) {
            return Err(bad("the host has characters a host name cannot hold"));
        }
        let port = match port {
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
            Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
        };
        Ok(Url {
            tls,
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
            prefix: tail.trim_end_matches('/').to_owned(),
        })
    }
}

/// A connection: TCP, or TLS over TCP.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }

    /// The socket read timeout (`None`: block until data comes).
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        // A zero duration is an error to std: the shortest wait instead.
        self.tcp()
            .set_read_timeout(timeout.map(|t| t.max(Duration::from_millis(1))))
    }

    /// Whether an idle kept-alive connection still looks usable: nothing
    /// to read (no close, no TLS alert, no stray bytes) without waiting.
    pub(crate) fn is_idle_and_open(&self) -> bool {
        let tcp = self.tcp();
        if tcp.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        let open = matches!(tcp.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        tcp.set_nonblocking(false).is_ok() && open
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Closing the socket at once ends a watch the server still holds.
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

/// Connect to `url`: resolve, TCP (each address in turn, within
/// `timeout`), then the TLS handshake (within `timeout` too).
pub(crate) fn connect(
    server: &str,
    url: &Url,
    tls: Option<(&Arc<rustls::ClientConfig>, ServerName<'static>)>,
    timeout: Duration,
) -> Result<Stream, Error> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|source| Error::Dns {
            server: server.into(),
            source: DnsError {
                name: url.host.clone(),
                source,
            },
        })?;
    let mut last = None;
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match (tcp, last) {
        (Some(tcp), _) => tcp,
        (None, Some(e)) => return Err(connect_error(server, timeout, e)),
        (None, None) => {
            return Err(Error::Dns {
                server: server.into(),
                source: DnsError {
                    name: url.host.clone(),
                    source: io::Error::new(io::ErrorKind::NotFound, "no addresses"),
                },
            })
        }
    };
    let _ = tcp.set_nodelay(true);
    let Some((config, name)) = tls else {
        return Ok(Stream::Plain(tcp));
    };
    let mut conn = ClientConnection::new(config.clone(), name).map_err(|source| Error::Tls {
        server: server.into(),
        source,
    })?;
    let mut tcp = tcp;
    let deadline = Instant::now() + timeout;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout {
                server: server.into(),
                after: timeout,
            });
        }
        let _ = tcp.set_read_timeout(Some(left));
        if let Err(e) = conn.complete_io(&mut tcp) {
            return Err(handshake_error(server, timeout, e));
        }
    }
    // The server's answer to a refused client certificate may come only
    // with the first read; it is reported then, as a TLS error still.
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}

fn connect_error(server: &str, timeout: Duration, source: io::Error) -> Error {
    let server = server.to_owned();
    match source.kind() {
        io::ErrorKind::ConnectionRefused => Error::Refused { server, source },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout {
            server,
            after: timeout,
        },
        _ => Error::Connect { server, source },
    }
}

/// A failed handshake: rustls's own error when it is one (wrapped in the
/// `io::Error` rustls returns), else a timeout or a broken connection.
fn handshake_error(server: &str, timeout: Duration, e: io::Error) -> Error {
    match rustls_cause(&e) {
        Some(source) => Error::Tls {
            server: server.into(),
            source,
        },
        None if is_timeout(&e) => Error::Timeout {
            server: server.into(),
            after: timeout,
        },
        None => Error::Connect {
            server: server.into(),
            source: e,
        },
    }
}

/// The rustls error inside an `io::Error`, if that is what it is.
pub(crate) fn rustls_cause(e: &io::Error) -> Option<rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned()
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// This many bytes are left.
    Length(u64),
    /// Chunked: at a size line.
    ChunkSize,
    /// Chunked: this many bytes of the current chunk are left.
    ChunkData(u64),
    /// Chunked: the CRLF after a chunk's data.
    ChunkEnd,
    /// Chunked: the trailer lines after the last chunk; bytes skipped so far.
    Trailers(usize),
    /// Until the server closes the connection.
    Close,
    /// The body is complete.
    Done,
}

/// A response head.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) status: u16,
    /// The reason phrase as the server sent it.
    pub(crate) reason: String,
    pub(crate) headers: Vec<(String, String)>,
    /// Whether the connection may carry another request after the body.
    keep_alive: bool,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The connection a response came on, read through one buffer.
pub(crate) struct Reader {
    pub(crate) stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Bytes of a response read so far (a reused connection that closes
    /// before any is a stale one; the request can go again).
    pub(crate) received: usize,
}

impl Reader {
    pub(crate) fn new(stream: Stream) -> Self {
        Reader {
            stream,
            buf: vec![0; READ_SIZE],
            pos: 0,
            end: 0,
            received: 0,
        }
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Read more from the socket. `Ok(0)` at the end of the connection.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            // Keep what is unparsed at the front; grow only for a head or
            // trailer that spans more than the buffer (both are capped).
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = match self.stream.read(&mut self.buf[self.end..]) {
            Ok(n) => n,
            // rustls reports a peer that closed without close_notify as
            // UnexpectedEof; the framing decides whether that was early.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && rustls_cause(&e).is_none() => 0,
            Err(e) => return Err(e),
        };
        self.end += n;
        self.received += n;
        Ok(n)
    }

    /// Send a request head and body.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Read a response head (skipping `1xx` interim answers).
    pub(crate) fn head(&mut self) -> Result<(Head, Framing), io::Error> {
        loop {
            let (head, framing) = self.one_head()?;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            return Ok((head, framing));
        }
    }

    fn one_head(&mut self) -> io::Result<(Head, Framing)> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(self.available()) {
                Ok(httparse::Status::Complete(len)) => {
                    let head = head_of(&resp)?;
                    self.pos += len;
                    return Ok(head);
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => return Err(invalid(HttpError::Head(e))),
            }
            if self.available().len() >= MAX_HEAD {
                return Err(invalid(HttpError::HeadTooLarge));
            }
            if self.fill()? == 0 {
                return Err(invalid(HttpError::HeadCut));
            }
        }
    }
}

fn head_of(resp: &httparse::Response<'_, '_>) -> io::Result<(Head, Framing)> {
    let status = resp.code.unwrap_or_default();
    let mut headers = Vec::with_capacity(resp.headers.len());
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = resp.version == Some(0);
    for h in resp.headers.iter() {
        // Header values that are not UTF-8 are kept as far as they are.
        let value = String::from_utf8_lossy(h.value).trim().to_owned();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .parse()
                .map_err(|_| invalid(HttpError::ContentLength))?;
            if length.is_some_and(|l| l != n) {
                return Err(invalid(HttpError::ContentLength));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(',').next().unwrap_or_default().trim();
            if !last.eq_ignore_ascii_case("chunked") {
                return Err(invalid(HttpError::TransferEncoding));
            }
            chunked = true;
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',') {
                let token = token.trim();
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") && resp.version == Some(0) {
                    close = false;
                }
            }
        }
        headers.push((h.name.to_owned(), value));
    }
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Done
    } else if chunked {
        Framing::ChunkSize
    } else if let Some(n) = length {
        if n == 0 {
            Framing::Done
        } else {
            Framing::Length(n)
        }
    } else {
        close = true;
        Framing::Close
    };
    Ok((
        Head {
            status,
            reason: resp.reason.unwrap_or_default().to_owned(),
            headers,
            keep_alive: !close,
        },
        framing,
    ))
}

/// A response body being read.
pub(crate) struct Body {
    reader: Option<Reader>,
    framing: Framing,
    keep_alive: bool,
}

impl Body {
    pub(crate) fn new(reader: Reader, head: &Head, framing: Framing) -> Self {
        Body {
            reader: Some(reader),
            framing,
            keep_alive: head.keep_alive,
        }
    }

    /// The socket read timeout for the reads to come.
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match &self.reader {
            Some(r) => r.stream.set_read_timeout(timeout),
            None => Ok(()),
        }
    }

    /// The next piece of the body; `Ok(None)` at its end. A read timeout
    /// leaves the body where it was: call again to go on.
    pub(crate) fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            let Some(r) = self.reader.as_mut() else {
                return Ok(None);
            };
            match self.framing {
                Framing::Done => return Ok(None),
                Framing::Length(left) | Framing::ChunkData(left) => {
                    let have = r.available();
                    if !have.is_empty() {
                        let n = have.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                        let out = have[..n].to_vec();
                        r.pos += n;
                        let left = left - n as u64;
                        self.framing = match (self.framing, left) {
                            (Framing::Length(_), 0) => Framing::Done,
                            (Framing::Length(_), l) => Framing::Length(l),
                            (_, 0) => Framing::ChunkEnd,
                            (_, l) => Framing::ChunkData(l),
                        };
                        return Ok(Some(out));
                    }
                }
                Framing::Close => {
                    let have = r.available();
                    if !have.is_empty() {
                        let out = have.to_vec();
                        r.pos = r.end;
                        return Ok(Some(out));
                    }
                }
                Framing::ChunkSize => match httparse::parse_chunk_size(r.available()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        r.pos += used;
                        self.framing = if size == 0 {
                            Framing::Trailers(0)
                        } else {
                            Framing::ChunkData(size)
                        };
                        continue;
                    }
                    Ok(httparse::Status::Partial) => {
                        if r.available().len() > 1024 {
                            return Err(invalid(HttpError::Chunk));
                        }
                    }
                    Err(_) => return Err(invalid(HttpError::Chunk)),
                },
                Framing::ChunkEnd => {
                    let have = r.available();
                    if have.len() >= 2 {
                        if &have[..2] != b"\r\n" {
                            return Err(invalid(HttpError::Chunk));
                        }
                        r.pos += 2;
                        self.framing = Framing::ChunkSize;
                        continue;
                    }
                }
                Framing::Trailers(skipped) => {
                    let have = r.available();
                    if let Some(nl) = have.windows(2).position(|w| w == b"\r\n") {
                        r.pos += nl + 2;
                        if nl == 0 {
                            self.framing = Framing::Done;
                            self.finish();
                            return Ok(None);
                        }
                        let skipped = skipped + nl + 2;
                        if skipped > MAX_HEAD {
                            return Err(invalid(HttpError::TrailersTooLarge));
                        }
                        self.framing = Framing::Trailers(skipped);
                        continue;
                    }
                    if skipped + have.len() > MAX_HEAD {
                        return Err(invalid(HttpError::TrailersTooLarge));
                    }
                }
            }
            let r = self.reader.as_mut().expect("checked above");
            if r.fill()? == 0 {
                return match self.framing {
                    Framing::Close => {
                        self.framing = Framing::Done;
                        self.reader = None;
                        Ok(None)
                    }
                    _ => {
                        self.reader = None;
                        Err(invalid(HttpError::BodyCut))
                    }
                };
            }
        }
    }

    fn finish(&mut self) {
        if self.framing == Framing::Done && !self.keep_alive {
            self.reader = None;
        }
    }

    /// The connection, if the body was read to its end and the
    /// connection may carry another request.
    pub(crate) fn into_reusable(mut self) -> Option<Reader> {
        if self.framing != Framing::Done || !self.keep_alive {
            return None;
        }
        let mut r = self.reader.take()?;
        // Bytes past the body (a server that pipelines) would be read as
        // the next response: such a connection is not reused.
        if !r.available().is_empty() {
            return None;
        }
        r.received = 0;
        Some(r)
    }

    /// Whether the body has been read to its end.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        self.framing == Framing::Done
    }
}

/// Turn a request into its bytes: the request line, `Host`, the headers
/// in order, `Content-Length` when there is a body (or the method needs
/// one), then the body.
pub(crate) fn request_bytes(
    method: &str,
    url: &Url,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<u8>, Error> {
    if !path_and_query.starts_with('/') || !path_and_query.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Url(format!(
            "{path_and_query:?}: not a path with an escaped query"
        )));
    }
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.prefix.as_bytes());
    out.extend_from_slice(path_and_query.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(url.authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !name_ok || !kubewire_config::fits_header(value) {
            return Err(Error::BadHeader {
                name: if name_ok {
                    (*name).to_owned()
                } else {
                    "(unnamed)".to_owned()
                },
            });
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn server_urls() {
        let u = Url::parse("https://127.0.0.1:6443").unwrap();
        assert_eq!(
            (
                u.tls,
                u.host.as_str(),
                u.port,
                u.authority.as_str(),
                u.prefix.as_str()
            ),
            (true, "127.0.0.1", 6443, "127.0.0.1:6443", "")
        );
        let u = Url::parse("http://[::1]:8080/clusters/a/").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.prefix.as_str()),
            (false, "::1", 8080, "/clusters/a")
        );
        assert_eq!(Url::parse("https://kube.example.com").unwrap().port, 443);
        for bad in [
            "http://kube api.local:6443",
            "ftp://x",
            "https://",
            "https://h:port",
            "https://h:99999",
            "127.0.0.1:6443",
            "https://h/a?b",
        ] {
            assert!(matches!(Url::parse(bad), Err(Error::Url(_))), "{bad}");
        }
    }

    #[test]
    fn a_header_with_a_line_break_is_refused_and_not_shown() {
        let url = Url::parse("http://h").unwrap();
        let e = request_bytes("GET", &url, "/api", &[("X-A", "b\r\nEvil: 1")], b"")
            .err()
            .unwrap();
        assert!(
            matches!(&e, Error::BadHeader { name } if name == "X-A"),
            "{e:?}"
        );
        assert!(!e.to_string().contains("Evil"));
        let ok = request_bytes("POST", &url, "/api?x=1", &[("Accept", "a/b")], b"{}").unwrap();
        assert_eq!(
            ok,
            b"POST /api?x=1 HTTP/1.1\r\nHost: h\r\nAccept: a/b\r\nContent-Length: 2\r\n\r\n{}"
        );
    }

    /// A server that writes `response` in pieces of `split` bytes.
    fn serve(response: &'static [u8], split: usize) -> Reader {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.set_nodelay(true).unwrap();
            for piece in response.chunks(split) {
                s.write_all(piece).unwrap();
                s.flush().unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        Reader::new(Stream::Plain(TcpStream::connect(addr).unwrap()))
    }

    fn body_of(response: &'static [u8], split: usize) -> (Head, io::Result<Vec<u8>>, bool) {
        let mut r = serve(response, split);
        let (head, framing) = r.head().unwrap();
        let mut body = Body::new(r, &head, framing);
        let mut out = Vec::new();
        loop {
            match body.next_chunk() {
                Ok(Some(c)) => out.extend(c),
                Ok(None) => break,
                Err(e) => return (head, Err(e), false),
            }
        }
        let reusable = body.into_reusable().is_some();
        (head, Ok(out), reusable)
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";

    #[test]
    fn chunked_bodies_at_every_split() {
        for split in [1, 2, 3, 7, 64, CHUNKED.len()] {
            let (head, body, reusable) = body_of(CHUNKED, split);
            assert_eq!(head.status, 200);
            assert_eq!(head.header("content-type"), Some("application/json"));
            assert_eq!(body.unwrap(), b"hello, world", "split {split}");
            assert!(reusable, "split {split}");
        }
    }

    #[test]
    fn length_and_close_framing() {
        let (_, body, reusable) =
            body_of(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc", 2);
        assert_eq!(body.unwrap(), b"abc");
        assert!(reusable);
        let (_, body, reusable) = body_of(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
            4,
        );
        assert_eq!(body.unwrap(), b"until the end");
        assert!(!reusable);
        let (_, body, _) = body_of(b"HTTP/1.1 204 No Content\r\n\r\n", 4);
        assert_eq!(body.unwrap(), b"");
    }

    #[test]
    fn cut_and_malformed_bodies_are_errors() {
        let (_, body, _) = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
        let e = body.unwrap_err();
        assert_eq!(
            e.get_ref().and_then(|i| i.downcast_ref::<HttpError>()),
            Some(&HttpError::BodyCut)
        );
        let (_, body, _) = body_of(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
            3,
        );
        let e = body.unwrap_err();
        assert_eq!(
            e.get_ref().and_then(|i| i.downcast_ref::<HttpError>()),
            Some(&HttpError::Chunk)
        );
        let mut r = serve(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 100);
        assert!(r.head().is_err());
        let mut r = serve(b"NOT HTTP\r\n\r\n", 100);
        let e = r.head().unwrap_err();
        assert!(matches!(
            e.get_ref().and_then(|i| i.downcast_ref::<HttpError>()),
            Some(HttpError::Head(_))
        ));
        let mut r = serve(b"HTTP/1.1 200", 100);
        let e = r.head().unwrap_err();
        assert_eq!(
            e.get_ref().and_then(|i| i.downcast_ref::<HttpError>()),
            Some(&HttpError::HeadCut)
        );
    }

    #[test]
    fn a_read_timeout_leaves_the_body_where_it_was() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
                .unwrap();
            std::thread::sleep(Duration::from_millis(300));
            s.write_all(b"lo\r\n0\r\n\r\n").unwrap();
        });
        let mut r = Reader::new(Stream::Plain(TcpStream::connect(addr).unwrap()));
        let (head, framing) = r.head().unwrap();
        let mut body = Body::new(r, &head, framing);
        body.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut out = Vec::new();
        let mut timeouts = 0;
        loop {
            match body.next_chunk() {
                Ok(Some(c)) => out.extend(c),
                Ok(None) => break,
                Err(e) if is_timeout(&e) => timeouts += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(out, b"hello");
        assert!(timeouts >= 1);
        assert!(body.is_done());
        server.join().unwrap();
    }
}
