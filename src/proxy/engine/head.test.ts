// Table-driven tests of the head parser. Most rows are cases of llhttp's test corpus (test/request/*.md and
// test/response/*.md in github.com/nodejs/llhttp): the raw messages are the corpus' inputs, and the expected
// facts (method, target, version, header names and values, Content-Length, flags, the offset where the head
// ends) are what the corpus' logs say llhttp's strict mode reports. Each group names its corpus file.
//
// How the corpus writes a message: every line of a markdown block ends in CRLF, and \r \n \t \xNN are
// escapes. Here `lines(...)` joins lines with CRLF, and strings are latin1 (one char = one byte).
//
// Where a corpus head stops before its blank line (llhttp reports an error mid-head; weft judges a head once
// it is whole, except for NUL and bare CR/LF which it refuses as soon as it sees them), the row appends the
// blank line so that the row tests the rejection, not the wait.
//
// Where weft deliberately differs from llhttp, the row says so ("weft:"). The rule: a proxy must be at least
// as strict as the next hop (node's servers run llhttp strict), so weft refuses everything llhttp strict
// refuses where the difference could move a message boundary or a header; it is stricter still in a few
// places (NUL anywhere, duplicate Content-Length even when equal, no HTTP/0.9, only HTTP as protocol), and
// accepts any token as a method (RFC 9110 section 9.1: the origin answers 501, framing is unaffected).
//
// The lenient-* corpus files and rows typed `request-lenient-*` are not llhttp's default; where they show
// something weft must refuse (obs-fold, LF without CR) the strict row is here instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS, ERROR, HeadParser, NEED_MORE } from './head.js';
import { seeded } from '../../util/prng.js';

const CRLF = '\r\n';
/** Lines joined by CRLF: a corpus block's lines. A head ends with two empty strings (its blank line). */
const lines = (...l: string[]): string => l.join(CRLF);
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Want {
  method?: string;
  target?: string;
  minor?: number;
  status?: number;
  /** Lower-case names (name() lower-cases) and values without surrounding whitespace, in order. */
  headers?: Array<[string, string]>;
  contentLength?: number;
  chunked?: boolean;
  hasTransferEncoding?: boolean;
  connClose?: boolean;
  connKeepAlive?: boolean;
  connUpgrade?: boolean;
  /** Value of the Upgrade header, null when absent. */
  upgrade?: string | null;
  /** Value of the Keep-Alive header, null when absent. */
  keepAlive?: string | null;
  host?: string | null;
  hostCount?: number;
  expectContinue?: boolean;
  keepAliveOk?: boolean;
  /** Offset past the blank line; when not given, the whole raw input is the head. */
  headEnd?: number;
  lineStart?: number;
}

interface Row {
  name: string;
  raw: string;
  /** Expected error status; absent when the head must parse. */
  fail?: number;
  /** The head is not complete: NEED_MORE. */
  more?: true;
  want?: Want;
}

type Kind = 'request' | 'response';

function parse(p: HeadParser, kind: Kind, buf: Buffer, start: number, end: number): number {
  return kind === 'request' ? p.parseRequest(buf, start, end) : p.parseResponse(buf, start, end);
}

/** Checks the facts a row names. `base` is where the raw input starts in buf. */
function checkFacts(p: HeadParser, buf: Buffer, base: number, row: Row, kind: Kind): void {
  const w = row.want ?? {};
  const headEnd = w.headEnd ?? row.raw.length;
  assert.equal(p.headEnd, base + headEnd, 'headEnd');
  if (w.lineStart !== undefined) assert.equal(p.lineStart, base + w.lineStart, 'lineStart');
  if (kind === 'request') {
    if (w.method !== undefined) assert.equal(buf.toString('latin1', p.lineStart, p.methodEnd), w.method, 'method');
    if (w.target !== undefined) assert.equal(buf.toString('latin1', p.targetStart, p.targetEnd), w.target, 'target');
  }
  if (w.status !== undefined) assert.equal(p.status, w.status, 'status');
  if (w.minor !== undefined) assert.equal(p.minor, w.minor, 'minor');
  if (w.headers !== undefined) {
    const got: Array<[string, string]> = [];
    for (let i = 0; i < p.count; i++) got.push([p.name(buf, i), p.value(buf, i)]);
    assert.deepEqual(got, w.headers, 'headers');
  }
  // Framing facts default to "absent", so that every row also checks nothing was set by mistake.
  assert.equal(p.contentLength, w.contentLength ?? -1, 'contentLength');
  assert.equal(p.chunked, w.chunked ?? false, 'chunked');
  assert.equal(p.hasTransferEncoding, w.hasTransferEncoding ?? w.chunked ?? false, 'hasTransferEncoding');
  if (w.connClose !== undefined) assert.equal(p.connClose, w.connClose, 'connClose');
  if (w.connKeepAlive !== undefined) assert.equal(p.connKeepAlive, w.connKeepAlive, 'connKeepAlive');
  if (w.connUpgrade !== undefined) assert.equal(p.connUpgrade, w.connUpgrade, 'connUpgrade');
  if (w.upgrade !== undefined) assert.equal(p.upgrade === -1 ? null : p.value(buf, p.upgrade), w.upgrade, 'upgrade');
  if (w.keepAlive !== undefined) assert.equal(p.keepAlive === -1 ? null : p.value(buf, p.keepAlive), w.keepAlive, 'keepAlive');
  if (w.host !== undefined) assert.equal(p.host === -1 ? null : p.value(buf, p.host), w.host, 'host');
  if (w.hostCount !== undefined) assert.equal(p.hostCount, w.hostCount, 'hostCount');
  assert.equal(p.expectContinue, w.expectContinue ?? false, 'expectContinue');
  if (w.keepAliveOk !== undefined) assert.equal(p.keepAliveOk, w.keepAliveOk, 'keepAliveOk');
}

/** What a parse must return for a row. */
function checkResult(p: HeadParser, r: number, row: Row, buf: Buffer, base: number, kind: Kind): void {
  if (row.fail !== undefined) {
    assert.equal(r, ERROR, `expected error ${row.fail}, got ${r}`);
    assert.equal(p.errorStatus, row.fail, `status (error: ${p.error})`);
    assert.notEqual(p.error, '');
  } else if (row.more) {
    assert.equal(r, NEED_MORE, `expected NEED_MORE, got ${r} (${p.error})`);
  } else {
    assert.ok(r > 0, `expected a head, got ${r} (${p.error})`);
    assert.equal(r, p.headEnd);
    checkFacts(p, buf, base, row, kind);
  }
}

const p = new HeadParser();

/**
 * Runs a row three ways: on its own; inside a buffer with junk before `start` and a stale blank line and
 * bytes after `end` (the parser must read nothing outside [start, end)); and fed one byte more at a time
 * into the same buffer, as data arrives (a prefix of a head that will parse must never be refused).
 */
function runRow(row: Row, kind: Kind): void {
  const raw = bytes(row.raw);
  checkResult(p, parse(p, kind, raw, 0, raw.length), row, raw, 0, kind);

  const junk = bytes('XYZ\r\n\r\nJ');
  const stale = bytes('\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\0');
  const framed = Buffer.concat([junk, raw, stale]);
  checkResult(p, parse(p, kind, framed, junk.length, junk.length + raw.length), row, framed, junk.length, kind);

  const willParse = row.fail === undefined && !row.more;
  const headEnd = row.want?.headEnd ?? raw.length;
  for (let n = 0; n < raw.length; n++) {
    const r = parse(p, kind, raw, 0, n);
    if (willParse) assert.equal(r, n < headEnd ? NEED_MORE : headEnd, `prefix of ${n} bytes: ${r} (${p.error})`);
    else if (row.more) assert.equal(r, NEED_MORE, `prefix of ${n} bytes: ${r} (${p.error})`);
    else assert.ok(r === NEED_MORE || r === ERROR, `prefix of ${n} bytes: ${r}`);
  }
  // The same parser, after all those partial parses, still gives the row's answer.
  checkResult(p, parse(p, kind, raw, 0, raw.length), row, raw, 0, kind);
}

function table(kind: Kind, rows: Row[]): void {
  for (const row of rows) it(row.name, () => runRow(row, kind));
}

describe('HeadParser requests: llhttp test/request/sample.md', () => {
  table('request', [
    {
      name: 'simple request; OWS (tab and space) after the colon is not part of the value',
      raw: lines('OPTIONS /url HTTP/1.1', 'Header1: Value1', 'Header2:\t Value2', '', ''),
      want: { method: 'OPTIONS', target: '/url', minor: 1, headers: [['header1', 'Value1'], ['header2', 'Value2']], headEnd: 60, keepAliveOk: true },
    },
    { name: 'method starting with H', raw: lines('HEAD /url HTTP/1.1', '', ''), want: { method: 'HEAD', target: '/url', headEnd: 22 } },
    {
      name: 'curl GET',
      raw: lines('GET /test HTTP/1.1', 'User-Agent: curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 libidn/1.1', 'Host: 0.0.0.0=5000', 'Accept: */*', '', ''),
      want: {
        method: 'GET',
        target: '/test',
        headers: [['user-agent', 'curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 libidn/1.1'], ['host', '0.0.0.0=5000'], ['accept', '*/*']],
        host: '0.0.0.0=5000',
        hostCount: 1,
        headEnd: 154,
      },
    },
    {
      name: 'Firefox GET: Connection: keep-alive and a Keep-Alive header',
      raw: lines(
        'GET /favicon.ico HTTP/1.1',
        'Host: 0.0.0.0=5000',
        'User-Agent: Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9) Gecko/2008061015 Firefox/3.0',
        'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'Accept-Language: en-us,en;q=0.5',
        'Accept-Encoding: gzip,deflate',
        'Accept-Charset: ISO-8859-1,utf-8;q=0.7,*;q=0.7',
        'Keep-Alive: 300',
        'Connection: keep-alive',
        '',
        '',
      ),
      want: { target: '/favicon.ico', connKeepAlive: true, connClose: false, keepAlive: '300', keepAliveOk: true, headEnd: 365 },
    },
    { name: 'DUMBPACK: a name of one letter repeated, a value of plus signs, no space after the colon', raw: lines('GET /dumbpack HTTP/1.1', 'aaaaaaaaaaaaa:++++++++++', '', ''), want: { headers: [['aaaaaaaaaaaaa', '++++++++++']], headEnd: 52 } },
    { name: 'no headers and no body', raw: lines('GET /get_no_headers_no_body/world HTTP/1.1', '', ''), want: { target: '/get_no_headers_no_body/world', headers: [], headEnd: 46 } },
    { name: 'one header and no body', raw: lines('GET /get_one_header_no_body HTTP/1.1', 'Accept: */*', '', ''), want: { headers: [['accept', '*/*']], headEnd: 53 } },
    {
      name: 'Apache bench GET, HTTP/1.0: no keep-alive without Connection: keep-alive',
      raw: lines('GET /test HTTP/1.0', 'Host: 0.0.0.0:5000', 'User-Agent: ApacheBench/2.3', 'Accept: */*', '', ''),
      want: { minor: 0, keepAliveOk: false, host: '0.0.0.0:5000', headEnd: 84 },
    },
    { name: 'prefix newline: an empty line before the request line is skipped', raw: '\r\n' + lines('GET /test HTTP/1.1', '', ''), want: { method: 'GET', lineStart: 2, headEnd: 24 } },
    { name: 'request starting with CRLF', raw: '\r\n' + lines('GET /url HTTP/1.1', 'Header1: Value1', '', ''), want: { lineStart: 2, headers: [['header1', 'Value1']], headEnd: 40 } },
    // weft: llhttp takes a request line without a version as HTTP/0.9; weft speaks 1.0 and 1.1 only.
    { name: 'no HTTP version (HTTP/0.9 request line) -> 400', raw: lines('GET /', '', ''), fail: 400 },
    // llhttp strict: "Missing expected CR after header value"; obs-fold with LF.
    { name: 'line folding in header value with LF', raw: 'GET / HTTP/1.1\r\nLine1:   abc\n\tdef\n ghi\n\t\tjkl\n  mno \n\t \tqrs\nLine2: \t line2\t\nLine3:\n line3\nLine4: \n \nConnection:\n close\n\n', fail: 400 },
    // The same with CRLF is accepted by llhttp only with lenient headers: obs-fold is refused (RFC 9112
    // section 5.2 lets a server reject it, and a proxy must, or the next hop may read a different header).
    {
      name: 'line folding in header value with CRLF (lenient-only in llhttp) -> 400',
      raw: lines('GET / HTTP/1.1', 'Line1:   abc', '\tdef', ' ghi', '\t\tjkl', '  mno ', '\t \tqrs', 'Line2: \t line2\t', 'Line3:', ' line3', 'Line4: ', ' ', 'Connection:', ' close', '', ''),
      fail: 400,
    },
    { name: 'no LF after CR in the request line', raw: 'GET / HTTP/1.1\rLine: 1\r\n\r\n', fail: 400 },
    { name: 'extended characters: UTF-8 bytes in a value are obs-text, kept byte for byte', raw: lines('GET / HTTP/1.1', 'Test: D\xc3\xbcsseldorf', '', ''), want: { headers: [['test', 'D\xc3\xbcsseldorf']], headEnd: 37 } },
    // The corpus writes \xff, and its harness sends the input as UTF-8 (its log: len=8): bytes C3 BF.
    { name: '255 in a header value', raw: lines('OPTIONS /url HTTP/1.1', 'Header1: Value1', 'Header2: \xc3\xbfValue2', '', ''), want: { headers: [['header1', 'Value1'], ['header2', '\xc3\xbfValue2']], headEnd: 61 } },
    { name: 'a single byte 0xff (obs-text) in a header value', raw: lines('GET / HTTP/1.1', 'X: \xff', '', ''), want: { headers: [['x', '\xff']] } },
  ]);
});

describe('HeadParser requests: llhttp test/request/method.md', () => {
  const connectHeaders: Array<[string, string]> = [['user-agent', 'Mozilla/1.1N'], ['proxy-authorization', 'basic aGVsbG86d29ybGQ=']];
  table('request', [
    { name: 'REPORT', raw: lines('REPORT /test HTTP/1.1', '', ''), want: { method: 'REPORT', target: '/test', headEnd: 25 } },
    {
      name: 'CONNECT with authority-form target, HTTP/1.0, tunnel data after the head',
      raw: lines('CONNECT 0-home0.netscape.com:443 HTTP/1.0', 'User-agent: Mozilla/1.1N', 'Proxy-authorization: basic aGVsbG86d29ybGQ=', '', 'some data', 'and yet even more data'),
      want: { method: 'CONNECT', target: '0-home0.netscape.com:443', minor: 0, headers: connectHeaders, headEnd: 116 },
    },
    {
      name: 'CONNECT with CAPS',
      raw: lines('CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0', 'User-agent: Mozilla/1.1N', 'Proxy-authorization: basic aGVsbG86d29ybGQ=', '', ''),
      want: { method: 'CONNECT', target: 'HOME0.NETSCAPE.COM:443', headEnd: 114 },
    },
    {
      name: 'CONNECT with a Content-Length body',
      raw: lines('CONNECT foo.bar.com:443 HTTP/1.0', 'User-agent: Mozilla/1.1N', 'Proxy-authorization: basic aGVsbG86d29ybGQ=', 'Content-Length: 10', '', 'blarfcicle"'),
      want: { method: 'CONNECT', target: 'foo.bar.com:443', contentLength: 10, headEnd: 127 },
    },
    {
      name: 'M-SEARCH with asterisk-form target',
      raw: lines('M-SEARCH * HTTP/1.1', 'HOST: 239.255.255.250:1900', 'MAN: "ssdp:discover"', 'ST: "ssdp:all"', '', ''),
      want: { method: 'M-SEARCH', target: '*', headers: [['host', '239.255.255.250:1900'], ['man', '"ssdp:discover"'], ['st', '"ssdp:all"']], host: '239.255.255.250:1900', headEnd: 89 },
    },
    {
      name: 'PATCH with a body',
      raw: lines('PATCH /file.txt HTTP/1.1', 'Host: www.example.com', 'Content-Type: application/example', 'If-Match: "e0023aa4e"', 'Content-Length: 10', '', 'cccccccccc'),
      want: { method: 'PATCH', contentLength: 10, headEnd: 129 },
    },
    { name: 'PURGE', raw: lines('PURGE /file.txt HTTP/1.1', 'Host: www.example.com', '', ''), want: { method: 'PURGE', headEnd: 51 } },
    { name: 'SEARCH', raw: lines('SEARCH / HTTP/1.1', 'Host: www.example.com', '', ''), want: { method: 'SEARCH', headEnd: 44 } },
    {
      name: 'LINK: a repeated field name is kept as two fields, in order',
      raw: lines('LINK /images/my_dog.jpg HTTP/1.1', 'Host: example.com', 'Link: <http://example.com/profiles/joe>; rel="tag"', 'Link: <http://example.com/profiles/sally>; rel="tag"', '', ''),
      want: {
        method: 'LINK',
        headers: [['host', 'example.com'], ['link', '<http://example.com/profiles/joe>; rel="tag"'], ['link', '<http://example.com/profiles/sally>; rel="tag"']],
        headEnd: 161,
      },
    },
    { name: 'UNLINK', raw: lines('UNLINK /images/my_dog.jpg HTTP/1.1', 'Host: example.com', 'Link: <http://example.com/profiles/sally>; rel="tag"', '', ''), want: { method: 'UNLINK', headEnd: 111 } },
    { name: 'SOURCE over HTTP', raw: lines('SOURCE /music/sweet/music HTTP/1.1', 'Host: example.com', '', ''), want: { method: 'SOURCE', headEnd: 57 } },
    {
      name: 'QUERY with a body',
      raw: lines('QUERY /contacts HTTP/1.1', 'Host: example.org', 'Content-Type: example/query', 'Accept: text/csv', 'Content-Length: 41', '', 'select surname, givenname, email limit 10'),
      want: { method: 'QUERY', contentLength: 41, headEnd: 114 },
    },
    // weft: only HTTP. llhttp also parses ICE and RTSP, which are not HTTP and no backend of a mesh speaks.
    { name: 'SOURCE with ICE/1.0 -> 400 (not HTTP)', raw: lines('SOURCE /music/sweet/music ICE/1.0', 'Host: example.com', '', ''), fail: 400 },
    { name: 'OPTIONS with RTSP/1.0 -> 400 (not HTTP)', raw: lines('OPTIONS /music/sweet/music RTSP/1.0', 'Host: example.com', '', ''), fail: 400 },
    { name: 'ANNOUNCE with RTSP/1.0 -> 400 (not HTTP)', raw: lines('ANNOUNCE /music/sweet/music RTSP/1.0', 'Host: example.com', '', ''), fail: 400 },
    // llhttp pauses with "Pause on PRI/Upgrade": PRI is the HTTP/2 preface, not a request to forward.
    { name: 'PRI * HTTP/1.1 -> 400', raw: lines('PRI * HTTP/1.1', '', 'SM', '', ''), fail: 400 },
  ]);
});

describe('HeadParser requests: llhttp test/request/invalid.md', () => {
  table('request', [
    { name: 'ICE protocol and GET method', raw: lines('GET /music/sweet/music ICE/1.0', 'Host: example.com', '', ''), fail: 400 },
    { name: 'ICE protocol, but not really (IHTTP)', raw: lines('GET /music/sweet/music IHTTP/1.0', 'Host: example.com', '', ''), fail: 400 },
    { name: 'RTSP protocol and PUT method', raw: lines('PUT /music/sweet/music RTSP/1.0', 'Host: example.com', '', ''), fail: 400 },
    // weft: llhttp knows ANNOUNCE as an RTSP method and refuses it over HTTP; to weft a method is a token.
    { name: 'ANNOUNCE over HTTP/1.0 is a token method to weft', raw: lines('ANNOUNCE /music/sweet/music HTTP/1.0', 'Host: example.com', '', ''), want: { method: 'ANNOUNCE', minor: 0 } },
    { name: 'headers separated by CR', raw: lines('GET / HTTP/1.1', 'Foo: 1\rBar: 2', '', ''), fail: 400 },
    {
      name: 'headers separated by LF (smuggles a Transfer-Encoding past a parser that splits on CRLF)',
      raw: lines('POST / HTTP/1.1', 'Host: localhost:5000', 'x:x\nTransfer-Encoding: chunked', '', '1', 'A', '0', ''),
      fail: 400,
    },
    { name: 'headers separated by dummy characters after the blank line', raw: lines('GET / HTTP/1.1', 'Connection: close', 'Host: a', '\rZGET /evil: HTTP/1.1', 'Host: a', '', ''), fail: 400 },
    { name: 'empty header separated by CR', raw: lines('POST / HTTP/1.1', 'Connection: Close', 'Host: localhost:5000', 'x:\rTransfer-Encoding: chunked', '', '1', 'A', '0', ''), fail: 400 },
    { name: 'empty header separated by LF', raw: lines('POST / HTTP/1.1', 'Host: localhost:5000', 'x:\nTransfer-Encoding: chunked', '', '1', 'A', '0', ''), fail: 400 },
    { name: 'invalid header token #1 (@)', raw: lines('GET / HTTP/1.1', 'Fo@: Failure', '', ''), fail: 400 },
    { name: 'invalid header token #2 (control byte and tab)', raw: lines('GET / HTTP/1.1', 'Foo\x01\test: Bar', '', ''), fail: 400 },
    { name: 'invalid header token #3 (empty name)', raw: lines('GET / HTTP/1.1', ': Bar', '', ''), fail: 400 },
    // weft: llhttp has a fixed method list and refuses MKCOLA; weft forwards any token (RFC 9110 section
    // 9.1) and lets the origin answer 501. The framing of the message does not depend on the method.
    { name: 'unknown method MKCOLA is a token to weft', raw: lines('MKCOLA / HTTP/1.1', '', ''), want: { method: 'MKCOLA', target: '/' } },
    { name: 'illegal header field name line folding', raw: lines('GET / HTTP/1.1', 'name', ' : value', '', ''), fail: 400 },
    { name: 'corrupted Connection header', raw: lines('GET / HTTP/1.1', 'Host: www.example.com', 'Connection\r\x1b5\xd5eep-Alive', 'Accept-Encoding: gzip', '', ''), fail: 400 },
    { name: 'corrupted header name', raw: lines('GET / HTTP/1.1', 'Host: www.example.com', 'X-Some-Header\r\x1b5\xd5eep-Alive', 'Accept-Encoding: gzip', '', ''), fail: 400 },
    {
      name: 'missing CR between headers (a Content-Length hidden behind a bare LF)',
      raw: lines('GET / HTTP/1.1', 'Host: localhost', 'Dummy: x\nContent-Length: 23', '', 'GET / HTTP/1.1', 'Dummy: GET /admin HTTP/1.1', 'Host: localhost', '', ''),
      fail: 400,
    },
    // llhttp: "Invalid HTTP version". The brief and RFC 9110 section 15.6.6: a major version weft does not
    // implement gets 505.
    { name: 'HTTP/5.6 -> 505', raw: lines('GET / HTTP/5.6', '', ''), fail: 505 },
    { name: 'space after the request line (obs-fold of nothing)', raw: lines('GET / HTTP/1.1', ' Host: foo', '', ''), fail: 400 },
    { name: 'only LFs present', raw: 'POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\r\nFoo: abc\nBar: def\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl="mno"\nD\n0\n\nBaz: ghi\n\n\\', fail: 400 },
    {
      name: 'spaces before a header (a folded Content-Length)',
      raw: lines('POST /hello HTTP/1.1', 'Host: localhost', 'Foo: bar', ' Content-Length: 38', '', 'GET /bye HTTP/1.1', 'Host: localhost', '', ''),
      fail: 400,
    },
  ]);
});

describe('HeadParser requests: llhttp test/request/uri.md', () => {
  table('request', [
    { name: 'quotes and backslashes in the target', raw: lines('GET /with_"lovely"_quotes?foo=\\"bar\\" HTTP/1.1', '', ''), want: { target: '/with_"lovely"_quotes?foo=\\"bar\\"', headEnd: 50 } },
    { name: 'query with a question mark', raw: lines('GET /test.cgi?foo=bar?baz HTTP/1.1', '', ''), want: { target: '/test.cgi?foo=bar?baz', headEnd: 38 } },
    // The corpus block ends in one more empty line: it is not part of this head.
    { name: 'absolute-form, host terminated by a query string', raw: lines('GET http://hypnotoad.org?hail=all HTTP/1.1', '', '', ''), want: { target: 'http://hypnotoad.org?hail=all', headEnd: 46 } },
    { name: 'absolute-form, host:port terminated by a query string', raw: lines('GET http://hypnotoad.org:1234?hail=all HTTP/1.1', '', ''), want: { target: 'http://hypnotoad.org:1234?hail=all', headEnd: 51 } },
    { name: 'vertical bar in the query', raw: lines('GET /test.cgi?query=| HTTP/1.1', '', ''), want: { target: '/test.cgi?query=|', headEnd: 34 } },
    { name: 'absolute-form, host:port terminated by a space', raw: lines('GET http://hypnotoad.org:1234 HTTP/1.1', '', ''), want: { target: 'http://hypnotoad.org:1234', headEnd: 42 } },
    { name: 'UTF-8 in the path is refused (strict mode)', raw: lines('GET /\xce\xb4\xc2\xb6/\xce\xb4t/pope?q=1#narf HTTP/1.1', 'Host: github.com', '', ''), fail: 400 },
    { name: 'fragment in the target', raw: lines('GET /forums/1/topics/2375?page=1#posts-17408 HTTP/1.1', '', ''), want: { target: '/forums/1/topics/2375?page=1#posts-17408', headEnd: 57 } },
    {
      name: 'underscore in a CONNECT host',
      raw: lines('CONNECT home_0.netscape.com:443 HTTP/1.0', 'User-agent: Mozilla/1.1N', 'Proxy-authorization: basic aGVsbG86d29ybGQ=', '', ''),
      want: { method: 'CONNECT', target: 'home_0.netscape.com:443', headEnd: 115 },
    },
    { name: 'host:port and basic auth in absolute-form', raw: lines('GET http://a%12:b!&*$@hypnotoad.org:1234/toto HTTP/1.1', '', ''), want: { target: 'http://a%12:b!&*$@hypnotoad.org:1234/toto', headEnd: 58 } },
    { name: 'space in the target', raw: lines('GET /foo bar/ HTTP/1.1', '', ''), fail: 400 },
  ]);
});

describe('HeadParser requests: llhttp test/request/connection.md', () => {
  table('request', [
    { name: 'Connection: keep-alive on 1.1', raw: lines('PUT /url HTTP/1.1', 'Connection: keep-alive', '', ''), want: { connKeepAlive: true, connClose: false, keepAliveOk: true, headEnd: 45 } },
    // llhttp: "Data after `Connection: close`" for the second request; keepAliveOk false tells the caller so.
    { name: 'HTTP/1.0 without keep-alive does not keep the connection', raw: lines('PUT /url HTTP/1.0', '', 'PUT /url HTTP/1.1', '', ''), want: { minor: 0, keepAliveOk: false, headEnd: 21 } },
    { name: 'Connection: keep\\ralive (a CR is not a dash)', raw: lines('PUT /url HTTP/1.1', 'Connection: keep\ralive', '', ''), fail: 400 },
    { name: 'Connection: close', raw: lines('PUT /url HTTP/1.1', 'Connection: close', '', ''), want: { connClose: true, keepAliveOk: false, headEnd: 40 } },
    { name: 'Connection: close followed by a tab', raw: lines('PUT /url HTTP/1.1', 'Connection: close\t', '', ''), want: { connClose: true, keepAliveOk: false, headers: [['connection', 'close']], headEnd: 41 } },
    {
      name: 'explicit close, CRLF after the body: no next request on this connection',
      raw: lines('POST / HTTP/1.1', 'Host: www.example.com', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 4', 'Connection: close', '', 'q=42', '', 'GET / HTTP/1.1'),
      want: { contentLength: 4, connClose: true, keepAliveOk: false, headEnd: 129 },
    },
    {
      name: 'explicit close followed by a tab',
      raw: lines('POST / HTTP/1.1', 'Host: www.example.com', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 4', 'Connection: close\t', '', 'q=42', '', 'GET / HTTP/1.1'),
      want: { contentLength: 4, connClose: true, keepAliveOk: false, headEnd: 130 },
    },
    {
      name: 'token list: close, token, upgrade, token, keep-alive sets all three; close wins',
      raw: lines('PUT /url HTTP/1.1', 'Connection: close, token, upgrade, token, keep-alive', '', ''),
      want: { connClose: true, connKeepAlive: true, connUpgrade: true, keepAliveOk: false, upgrade: null, headEnd: 75 },
    },
    {
      name: 'keep-alive, upgrade with an Upgrade header',
      raw: lines('GET /demo HTTP/1.1', 'Connection: keep-alive, upgrade', 'Upgrade: WebSocket', '', 'Hot diggity dogg'),
      want: { connKeepAlive: true, connUpgrade: true, upgrade: 'WebSocket', headEnd: 75 },
    },
    // The two "with folding" rows are lenient-headers rows in the corpus: strict llhttp and weft refuse.
    {
      name: 'Connection tokens folded onto a second line (lenient-only in llhttp) -> 400',
      raw: lines('GET /demo HTTP/1.1', 'Connection: keep-alive, ', ' upgrade', 'Upgrade: WebSocket', '', 'Hot diggity dogg'),
      fail: 400,
    },
    { name: 'whitespace between Connection and the colon', raw: lines('PUT /url HTTP/1.1', 'Connection : upgrade', 'Content-Length: 4', 'Upgrade: ws', '', 'abcdefgh'), fail: 400 },
    { name: 'Connection: upgrade with Upgrade: ws', raw: lines('PUT /url HTTP/1.1', 'Connection: upgrade', 'Upgrade: ws', '', ''), want: { connUpgrade: true, upgrade: 'ws', headEnd: 55 } },
    {
      name: 'upgrade request with a Content-Length body',
      raw: lines('PUT /url HTTP/1.1', 'Connection: upgrade', 'Content-Length: 4', 'Upgrade: ws', '', 'abcdefgh'),
      want: { connUpgrade: true, upgrade: 'ws', contentLength: 4, headEnd: 74 },
    },
    {
      name: 'WebSocket upgrade GET',
      raw: lines(
        'GET /demo HTTP/1.1',
        'Host: example.com',
        'Connection: Upgrade',
        'Sec-WebSocket-Key2: 12998 5 Y3 1  .P00',
        'Sec-WebSocket-Protocol: sample',
        'Upgrade: WebSocket',
        'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5',
        'Origin: http://example.com',
        '',
        'Hot diggity dogg',
      ),
      want: {
        connUpgrade: true,
        upgrade: 'WebSocket',
        host: 'example.com',
        headers: [
          ['host', 'example.com'],
          ['connection', 'Upgrade'],
          ['sec-websocket-key2', '12998 5 Y3 1  .P00'],
          ['sec-websocket-protocol', 'sample'],
          ['upgrade', 'WebSocket'],
          ['sec-websocket-key1', '4 @1  46546xW%0l 1 5'],
          ['origin', 'http://example.com'],
        ],
        headEnd: 224,
      },
    },
    {
      name: 'upgrade POST with a body',
      raw: lines('POST /demo HTTP/1.1', 'Host: example.com', 'Connection: Upgrade', 'Upgrade: HTTP/2.0', 'Content-Length: 15', '', 'sweet post bodyHot diggity dogg'),
      want: { connUpgrade: true, upgrade: 'HTTP/2.0', contentLength: 15, headEnd: 102 },
    },
  ]);
});

describe('HeadParser requests: llhttp test/request/content-length.md', () => {
  table('request', [
    { name: 'Content-Length with leading zeroes', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 003', '', 'abc'), want: { contentLength: 3, headEnd: 42 } },
    { name: 'Content-Length with a header after it', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 003', 'Ohai: world', '', 'abc'), want: { contentLength: 3, headers: [['content-length', '003'], ['ohai', 'world']], headEnd: 55 } },
    { name: 'Content-Length overflow', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 1000000000000000000000', '', ''), fail: 400 },
    { name: 'duplicate Content-Length (different values)', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 1', 'Content-Length: 2', '', ''), fail: 400 },
    { name: 'Content-Length with Transfer-Encoding: identity', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 1', 'Transfer-Encoding: identity', '', '', ''), fail: 400 },
    { name: 'whitespace between Content-Length and the colon', raw: lines('PUT /url HTTP/1.1', 'Connection: upgrade', 'Content-Length : 4', 'Upgrade: ws', '', 'abcdefgh'), fail: 400 },
    { name: 'funky case conTENT-Length on HTTP/1.0', raw: lines('GET /get_funky_content_length_body_hello HTTP/1.0', 'conTENT-Length: 5', '', 'HELLO'), want: { minor: 0, contentLength: 5, headers: [['content-length', '5']], headEnd: 72 } },
    // llhttp's value span keeps the trailing space ("42 "); weft's value() is the field value, which
    // excludes surrounding whitespace (RFC 9110 section 5.5).
    { name: 'spaces around the Content-Length value', raw: lines('POST / HTTP/1.1', 'Content-Length:  42 ', '', ''), want: { contentLength: 42, headers: [['content-length', '42']], headEnd: 41 } },
    { name: 'tabs around the Content-Length value', raw: lines('POST / HTTP/1.1', 'Content-Length:\t42\t  ', '', ''), want: { contentLength: 42, headers: [['content-length', '42']], headEnd: 42 } },
    { name: 'space inside Content-Length (4 2)', raw: lines('POST / HTTP/1.1', 'Content-Length: 4 2', '', ''), fail: 400 },
    { name: 'space inside Content-Length (13 37)', raw: lines('POST / HTTP/1.1', 'Content-Length: 13 37', '', ''), fail: 400 },
    { name: 'empty Content-Length', raw: lines('POST / HTTP/1.1', 'Content-Length:', '', ''), fail: 400 },
    { name: 'Content\\rLength (a CR instead of the dash)', raw: lines('PUT /url HTTP/1.1', 'Content\rLength: 003', '', 'abc'), fail: 400 },
    { name: 'missing LF of the blank line before the body', raw: lines('PUT /url HTTP/1.1', 'Content-Length: 3', '\rabc'), fail: 400 },
  ]);
});

describe('HeadParser requests: Content-Length where weft is stricter than llhttp (a proxy must not guess)', () => {
  table('request', [
    // RFC 9110 section 8.6 lets a recipient accept equal duplicates or "5, 5"; weft refuses both, so that no
    // next hop can pick a different value than weft did. llhttp also refuses any second Content-Length.
    { name: 'duplicate Content-Length with equal values', raw: lines('POST / HTTP/1.1', 'Content-Length: 5', 'Content-Length: 5', '', ''), fail: 400 },
    { name: 'Content-Length as a list of equal values', raw: lines('POST / HTTP/1.1', 'Content-Length: 5, 5', '', ''), fail: 400 },
    { name: 'Content-Length with a plus sign', raw: lines('POST / HTTP/1.1', 'Content-Length: +5', '', ''), fail: 400 },
    { name: 'Content-Length negative', raw: lines('POST / HTTP/1.1', 'Content-Length: -1', '', ''), fail: 400 },
    { name: 'Content-Length in hex', raw: lines('POST / HTTP/1.1', 'Content-Length: 0x10', '', ''), fail: 400 },
    // weft keeps lengths exact in a double: at most 15 digits (llhttp goes to 2^64-1, far beyond any body).
    { name: 'Content-Length of 15 digits is taken', raw: lines('POST / HTTP/1.1', 'Content-Length: 999999999999999', '', ''), want: { contentLength: 999999999999999 } },
    { name: 'Content-Length of 16 digits is refused', raw: lines('POST / HTTP/1.1', 'Content-Length: 1000000000000000', '', ''), fail: 400 },
    { name: 'Content-Length: 0', raw: lines('POST / HTTP/1.1', 'Content-Length: 0', '', ''), want: { contentLength: 0 } },
  ]);
});

describe('HeadParser requests: llhttp test/request/transfer-encoding.md (the head part)', () => {
  table('request', [
    { name: 'Transfer-Encoding: chunked', raw: lines('PUT /url HTTP/1.1', 'Transfer-Encoding: chunked', '', ''), want: { chunked: true, headEnd: 49 } },
    { name: 'chunked, body follows', raw: lines('PUT /url HTTP/1.1', 'Transfer-Encoding: chunked', '', 'a', '0123456789', '0', '', ''), want: { chunked: true, headEnd: 49 } },
    { name: 'Transfer-encoding (lower e) with Host', raw: lines('POST /chunked_w_unicorns_after_length HTTP/1.1', 'Host: localhost', 'Transfer-encoding: chunked', '', '2;', 'aa', '0', '', ''), want: { chunked: true, headEnd: 95 } },
    { name: 'unknown coding "pigeons" alone: the length of a request is unknowable', raw: lines('PUT /url HTTP/1.1', 'Transfer-Encoding: pigeons', '', ''), fail: 400 },
    { name: 'Transfer-Encoding: identity with Content-Length', raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: identity', 'Content-Length: 5', '', 'World'), fail: 400 },
    {
      name: 'empty Transfer-Encoding headers with Content-Length',
      raw: lines('POST / HTTP/1.1', 'Host: foo', 'Content-Length: 10', 'Transfer-Encoding:', 'Transfer-Encoding:', 'Transfer-Encoding:', '', '2', 'AA', '0'),
      fail: 400,
    },
    { name: 'chunked before another coding', raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: chunked, deflate', '', 'World'), fail: 400 },
    { name: 'chunked, then another Transfer-Encoding header', raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: chunked', 'Transfer-Encoding: deflate', '', 'World'), fail: 400 },
    { name: 'chunked as the last coding', raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: deflate, chunked', '', '5', 'World', '0', '', ''), want: { chunked: true, headEnd: 106 } },
    {
      name: 'chunked as the last coding, in a second header',
      raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: deflate', 'Transfer-Encoding: chunked', '', '5', 'World', '0', '', ''),
      want: { chunked: true, headEnd: 125 },
    },
    { name: 'chunkedchunked is not chunked', raw: lines('POST /post_identity_body_world?q=search#hey HTTP/1.1', 'Accept: */*', 'Transfer-Encoding: chunkedchunked', '', '5', 'World', '0', '', ''), fail: 400 },
    { name: 'obs-fold after chunked (lenient-only in llhttp)', raw: lines('PUT /url HTTP/1.1', 'Transfer-Encoding: chunked', '  abc', '', '5', 'World', '0', '', ''), fail: 400 },
    {
      name: 'trailing spaces after close and chunked are not part of the values',
      raw: lines('GET / HTTP/1.1', 'Host: a', 'Connection: close ', 'Transfer-Encoding: chunked ', '', '5\r\r;ABCD', '34', 'E', '0', '', ''),
      want: { connClose: true, chunked: true, headEnd: 76 },
    },
  ]);
});

describe('HeadParser requests: Transfer-Encoding where weft is stricter than llhttp', () => {
  table('request', [
    // RFC 9112 section 6.1: a 1.0 message with Transfer-Encoding has faulty framing. A 1.0 next hop may not
    // know chunked at all and read the chunks as the next request.
    { name: 'Transfer-Encoding in an HTTP/1.0 request', raw: lines('POST / HTTP/1.0', 'Transfer-Encoding: chunked', '', ''), fail: 400 },
    // RFC 9112 section 6.1: a sender MUST NOT apply chunked more than once.
    { name: 'chunked, chunked', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: chunked, chunked', '', ''), fail: 400 },
    { name: 'chunked in two headers', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked', '', ''), fail: 400 },
    { name: 'a quoted "chunked" is not chunked', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: "chunked"', '', ''), fail: 400 },
    { name: 'a vertical tab before chunked is a control byte', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: \x0bchunked', '', ''), fail: 400 },
    { name: 'Chunked in capitals is chunked (codings are case-insensitive)', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: Chunked', '', ''), want: { chunked: true } },
    { name: 'empty list elements around chunked are ignored (RFC 9110 section 5.6.1)', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: , gzip ,, chunked ,', '', ''), want: { chunked: true } },
    { name: 'chunked with Content-Length after it', raw: lines('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Length: 3', '', ''), fail: 400 },
  ]);
});

describe('HeadParser requests: header syntax beyond the corpus (RFC 9110 section 5, RFC 9112 section 5)', () => {
  table('request', [
    // NUL anywhere is refused: weft is stricter than llhttp, which allows some bytes llhttp's own tables
    // list; no client sends NUL in a head, and a NUL can truncate a header in a C-string based next hop.
    { name: 'NUL in a header value', raw: lines('GET / HTTP/1.1', 'X: a\0b', '', ''), fail: 400 },
    { name: 'NUL in a header name', raw: lines('GET / HTTP/1.1', 'X\0Y: a', '', ''), fail: 400 },
    { name: 'NUL in the target', raw: lines('GET /a\0b HTTP/1.1', '', ''), fail: 400 },
    { name: 'NUL before the method', raw: '\0' + lines('GET / HTTP/1.1', '', ''), fail: 400 },
    { name: 'DEL in a header value', raw: lines('GET / HTTP/1.1', 'X: a\x7fb', '', ''), fail: 400 },
    { name: 'bare LF ending a header line', raw: lines('GET / HTTP/1.1', 'X: a\nY: b', '', ''), fail: 400 },
    { name: 'bare LF ending the request line', raw: 'GET / HTTP/1.1\nHost: a\r\n\r\n', fail: 400 },
    { name: 'bare CR inside a header value', raw: lines('GET / HTTP/1.1', 'X: a\rb', '', ''), fail: 400 },
    { name: 'bare LF as the blank line', raw: 'GET / HTTP/1.1\r\nHost: a\r\n\n', fail: 400 },
    { name: 'a tab before the colon', raw: lines('GET / HTTP/1.1', 'Host\t: a', '', ''), fail: 400 },
    { name: 'a line without a colon', raw: lines('GET / HTTP/1.1', 'Host a', '', ''), fail: 400 },
    { name: 'a tab between method and target', raw: lines('GET\t/ HTTP/1.1', '', ''), fail: 400 },
    { name: 'two spaces between method and target', raw: lines('GET  / HTTP/1.1', '', ''), fail: 400 },
    { name: 'a space after the version', raw: lines('GET / HTTP/1.1 ', '', ''), fail: 400 },
    { name: 'a lower-case protocol name (http/1.1)', raw: lines('GET / http/1.1', '', ''), fail: 400 },
    { name: 'a non-token method', raw: lines('G(T / HTTP/1.1', '', ''), fail: 400 },
    { name: 'an empty value', raw: lines('GET / HTTP/1.1', 'X-Empty:', 'Y-Empty:   ', '', ''), want: { headers: [['x-empty', ''], ['y-empty', '']] } },
    { name: 'inner whitespace of a value is kept', raw: lines('GET / HTTP/1.1', 'X:  a \t b  ', '', ''), want: { headers: [['x', 'a \t b']] } },
    { name: 'a long value (8000 bytes)', raw: lines('GET / HTTP/1.1', 'X: ' + 'v'.repeat(8000), '', ''), want: { headers: [['x', 'v'.repeat(8000)]] } },
    // Host: the parser counts; RFC 9112 section 3.2 makes more than one a 400, which the caller decides.
    { name: 'two Host headers are counted', raw: lines('GET / HTTP/1.1', 'Host: a', 'Host: b', '', ''), want: { hostCount: 2, host: 'b' } },
    { name: 'no Host header', raw: lines('GET / HTTP/1.1', '', ''), want: { hostCount: 0, host: null } },
  ]);
});

describe('HeadParser requests: versions', () => {
  table('request', [
    { name: 'HTTP/1.0', raw: lines('GET / HTTP/1.0', '', ''), want: { minor: 0, keepAliveOk: false } },
    { name: 'HTTP/1.0 with Connection: keep-alive', raw: lines('GET / HTTP/1.0', 'Connection: Keep-Alive', '', ''), want: { minor: 0, connKeepAlive: true, keepAliveOk: true } },
    { name: 'HTTP/1.0 with keep-alive and close: close wins', raw: lines('GET / HTTP/1.0', 'Connection: keep-alive, close', '', ''), want: { minor: 0, keepAliveOk: false } },
    { name: 'HTTP/1.1 keeps the connection by default', raw: lines('GET / HTTP/1.1', '', ''), want: { minor: 1, keepAliveOk: true } },
    { name: 'HTTP/2.0 text -> 505', raw: lines('GET / HTTP/2.0', '', ''), fail: 505 },
    { name: 'PRI * HTTP/2.0 (the h2 preface) -> 505', raw: lines('PRI * HTTP/2.0', '', 'SM', '', ''), fail: 505 },
    // llhttp accepts 0.9, 1.0, 1.1 and 2.0 only; weft 1.0 and 1.1. A 1.2 client does not exist.
    { name: 'HTTP/1.2 -> 505', raw: lines('GET / HTTP/1.2', '', ''), fail: 505 },
    { name: 'HTTP/0.9 with a version -> 505', raw: lines('GET / HTTP/0.9', '', ''), fail: 505 },
    { name: 'HTTP/11.1 -> 400', raw: lines('GET / HTTP/11.1', '', ''), fail: 400 },
    { name: 'HTTP/1 -> 400', raw: lines('GET / HTTP/1', '', ''), fail: 400 },
    { name: 'HTTP/1.1x -> 400', raw: lines('GET / HTTP/1.1x', '', ''), fail: 400 },
  ]);
});

describe('HeadParser requests: Expect', () => {
  table('request', [
    { name: 'Expect: 100-continue', raw: lines('PUT / HTTP/1.1', 'Expect: 100-continue', 'Content-Length: 5', '', ''), want: { expectContinue: true, contentLength: 5 } },
    { name: 'Expect: 100-Continue (case-insensitive)', raw: lines('PUT / HTTP/1.1', 'Expect: 100-Continue', 'Content-Length: 5', '', ''), want: { expectContinue: true, contentLength: 5 } },
    { name: 'Expect: something else', raw: lines('PUT / HTTP/1.1', 'Expect: 100-continue-not', '', ''), want: { expectContinue: false } },
    // RFC 9110 section 10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0 request.
    { name: 'Expect: 100-continue on HTTP/1.0 is ignored', raw: lines('PUT / HTTP/1.0', 'Expect: 100-continue', 'Content-Length: 5', '', ''), want: { minor: 0, expectContinue: false, contentLength: 5 } },
  ]);
});

describe('HeadParser requests: incomplete heads (llhttp test/request/finish.md)', () => {
  table('request', [
    { name: 'inside a header name', raw: 'PUT / HTTP/1.1\r\nContent-Leng', more: true },
    { name: 'after a header line, before the blank line', raw: 'PUT / HTTP/1.1\r\nContent-Length: 100\r\n', more: true },
    { name: 'a CR that may become CRLF', raw: 'PUT / HTTP/1.1\r\nContent-Length: 100\r\n\r', more: true },
    { name: 'nothing yet', raw: '', more: true },
    { name: 'only empty lines yet', raw: '\r\n\r\n', more: true },
  ]);
});

describe('HeadParser responses: llhttp test/response/sample.md', () => {
  table('response', [
    {
      name: 'simple response',
      raw: lines('HTTP/1.1 200 OK', 'Header1: Value1', 'Header2:\t Value2', 'Content-Length: 0', '', ''),
      want: { status: 200, minor: 1, headers: [['header1', 'Value1'], ['header2', 'Value2'], ['content-length', '0']], contentLength: 0, headEnd: 73 },
    },
    // weft: llhttp also reads RTSP and ICE status lines; a mesh's upstream speaks HTTP.
    { name: 'RTSP response -> 400', raw: lines('RTSP/1.1 200 OK', '', ''), fail: 400 },
    { name: 'ICE response -> 400', raw: lines('ICE/1.1 200 OK', '', ''), fail: 400 },
    { name: 'HTTPER/1.1 -> 400', raw: lines('HTTPER/1.1 200 OK', '', ''), fail: 400 },
    { name: 'empty response', raw: lines('HTTP/1.1 200 OK', '', ''), want: { status: 200, headers: [], headEnd: 19 } },
    {
      name: 'Google 301: spaces around Content-Length, a $ in a name',
      raw: lines(
        'HTTP/1.1 301 Moved Permanently',
        'Location: http://www.google.com/',
        'Content-Type: text/html; charset=UTF-8',
        'Date: Sun, 26 Apr 2009 11:11:49 GMT',
        'Expires: Tue, 26 May 2009 11:11:49 GMT',
        'X-$PrototypeBI-Version: 1.6.0.3',
        'Cache-Control: public, max-age=2592000',
        'Server: gws',
        'Content-Length:  219  ',
        '',
        '<HTML>',
      ),
      want: { status: 301, contentLength: 219, headEnd: 295 },
    },
    { name: '404 without headers', raw: lines('HTTP/1.1 404 Not Found', '', ''), want: { status: 404, headEnd: 26 } },
    { name: 'no reason phrase', raw: lines('HTTP/1.1 301', '', ''), want: { status: 301, headEnd: 16 } },
    { name: 'empty reason phrase after the space', raw: lines('HTTP/1.1 200 ', '', ''), want: { status: 200, headEnd: 17 } },
    { name: 'no CR anywhere', raw: 'HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\nConnection: close\n\nthese headers are from http://news.ycombinator.com/', fail: 400 },
    {
      name: 'underscore in a header name',
      raw: lines('HTTP/1.1 200 OK', 'Server: DCLK-AdSvr', 'Content-Type: text/xml', 'Content-Length: 0', 'DCLK_imp: v7;x;114750856;0-0;0;17820020;0/0;21603567/21621457/1;;~okv=;dcmt=text/xml;;~cs=o', '', ''),
      want: { status: 200, contentLength: 0, headEnd: 175 },
    },
    {
      name: 'HTTP/1.0 301 with keep-alive and an empty Pragma',
      raw: lines(
        'HTTP/1.0 301 Moved Permanently',
        'Date: Thu, 03 Jun 2010 09:56:32 GMT',
        'Server: Apache/2.2.3 (Red Hat)',
        'Cache-Control: public',
        'Pragma: ',
        'Location: http://www.bonjourmadame.fr/',
        'Vary: Accept-Encoding',
        'Content-Length: 0',
        'Content-Type: text/html; charset=UTF-8',
        'Connection: keep-alive',
        '',
        '',
      ),
      want: { status: 301, minor: 0, contentLength: 0, connKeepAlive: true, keepAliveOk: true, headEnd: 282 },
    },
    {
      name: 'names starting with . and _ are tokens, not Set-Cookie / Keep-Alive / Connection',
      raw: lines(
        'HTTP/1.1 200 OK',
        'Date: Tue, 28 Sep 2010 01:14:13 GMT',
        'Server: Apache',
        'Cache-Control: no-cache, must-revalidate',
        'Expires: Mon, 26 Jul 1997 05:00:00 GMT',
        '.et-Cookie: PlaxoCS=1274804622353690521; path=/; domain=.plaxo.com',
        'Vary: Accept-Encoding',
        '_eep-Alive: timeout=45',
        '_onnection: Keep-Alive',
        'Transfer-Encoding: chunked',
        'Content-Type: text/html',
        'Connection: close',
        '',
        '0',
        '',
        '',
      ),
      want: { status: 200, chunked: true, connClose: true, connKeepAlive: false, keepAlive: null, keepAliveOk: false, headEnd: 365 },
    },
    {
      name: 'a space inside a header name',
      raw: lines('HTTP/1.1 200 OK', 'Server: Microsoft-IIS/6.0', 'X-Powered-By: ASP.NET', 'en-US Content-Type: text/xml', 'Content-Type: text/xml', 'Content-Length: 16', '', '<xml>hello</xml>'),
      fail: 400,
    },
    {
      name: 'UTF-8 in the reason phrase',
      raw: lines('HTTP/1.1 500 Ori\xc3\xabntatieprobleem', 'Date: Fri, 5 Nov 2010 23:07:12 GMT+2', 'Content-Length: 0', 'Connection: close', '', ''),
      want: { status: 500, contentLength: 0, connClose: true, headEnd: 112 },
    },
    // weft: llhttp reads a 0.9 status line; weft only 1.0 and 1.1.
    { name: 'HTTP/0.9 status line -> 400', raw: lines('HTTP/0.9 200 OK', '', ''), fail: 400 },
    { name: 'neither Content-Length nor Transfer-Encoding: read until close (the caller decides)', raw: lines('HTTP/1.1 200 OK', 'Content-Type: text/plain', '', 'hello world'), want: { status: 200, headEnd: 45 } },
    // weft used to refuse this: the empty line before a status line is skipped as before a request line.
    {
      name: 'response starting with CRLF',
      raw: '\r\n' + lines('HTTP/1.1 200 OK', 'Header1: Value1', 'Header2:\t Value2', 'Content-Length: 0', '', ''),
      want: { status: 200, lineStart: 2, contentLength: 0, headEnd: 75 },
    },
  ]);
});

describe('HeadParser responses: llhttp test/response/invalid.md', () => {
  table('response', [
    { name: 'HTP/1.1', raw: lines('HTP/1.1 200 OK', '', ''), fail: 400 },
    { name: 'extra digit in the major version (01)', raw: lines('HTTP/01.1 200 OK', '', ''), fail: 400 },
    { name: 'extra digit in the major version (11)', raw: lines('HTTP/11.1 200 OK', '', ''), fail: 400 },
    { name: 'extra digit in the minor version', raw: lines('HTTP/1.01 200 OK', '', ''), fail: 400 },
    { name: 'tab after the version', raw: lines('HTTP/1.1\t200 OK', '', ''), fail: 400 },
    { name: 'CR before the response and a tab after the version', raw: '\r' + lines('HTTP/1.1\t200 OK', '', ''), fail: 400 },
    { name: 'headers separated by CR', raw: lines('HTTP/1.1 200 OK', 'Foo: 1\rBar: 2', '', ''), fail: 400 },
    { name: 'bare CR after the status line', raw: 'HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n', fail: 400 },
    { name: 'bare CR and CR after the status line', raw: 'HTTP/1.1 200 OK\r\rContent-Length: 4\r\n\r\nEvil', fail: 400 },
    { name: 'HTTP/5.6', raw: lines('HTTP/5.6 200 OK', '', ''), fail: 400 },
    { name: 'space after the status line', raw: lines('HTTP/1.1 200 OK', ' Host: foo', '', ''), fail: 400 },
    { name: 'two spaces between version and status code', raw: lines('HTTP/1.1  200 OK', '', ''), fail: 400 },
    // The reason phrase is ignored by the framing; a leading space in it is allowed.
    { name: 'two spaces between status code and reason', raw: lines('HTTP/1.1 200  OK', '', ''), want: { status: 200, headEnd: 20 } },
    { name: 'one-digit status code', raw: lines('HTTP/1.1 2 OK', '', ''), fail: 400 },
    { name: 'only LFs, no body', raw: 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', fail: 400 },
    { name: 'only LFs', raw: 'HTTP/1.1 200 OK\nFoo: abc\nBar: def\n\nBODY\n\\', fail: 400 },
  ]);
});

describe('HeadParser responses: status codes beyond the corpus', () => {
  table('response', [
    { name: '4-digit status code', raw: lines('HTTP/1.1 2000 OK', '', ''), fail: 400 },
    { name: 'letter in the status code', raw: lines('HTTP/1.1 2x0 OK', '', ''), fail: 400 },
    // RFC 9110 section 15: values outside 100..599 are invalid. llhttp takes 100..999; weft is stricter.
    { name: 'status 600', raw: lines('HTTP/1.1 600 Nope', '', ''), fail: 400 },
    { name: 'status 099', raw: lines('HTTP/1.1 099 Nope', '', ''), fail: 400 },
    { name: 'NUL in the reason phrase', raw: lines('HTTP/1.1 200 O\0K', '', ''), fail: 400 },
    { name: 'control byte in the reason phrase', raw: lines('HTTP/1.1 200 O\x01K', '', ''), fail: 400 },
    { name: 'HTTP/2.0 status line', raw: lines('HTTP/2.0 200 OK', '', ''), fail: 400 },
    { name: '100 Continue', raw: lines('HTTP/1.1 100 Continue', '', ''), want: { status: 100 } },
    { name: '204 No Content', raw: lines('HTTP/1.1 204 No Content', '', ''), want: { status: 204 } },
    { name: '304 Not Modified with a Content-Length (of the representation, not a body)', raw: lines('HTTP/1.1 304 Not Modified', 'Content-Length: 10', '', ''), want: { status: 304, contentLength: 10 } },
    { name: 'HTTP/1.0 response without keep-alive', raw: lines('HTTP/1.0 200 OK', 'Content-Length: 0', '', ''), want: { status: 200, minor: 0, contentLength: 0, keepAliveOk: false } },
    { name: 'a response is not an Expect carrier', raw: lines('HTTP/1.1 200 OK', 'Expect: 100-continue', '', ''), want: { status: 200, expectContinue: false } },
    { name: 'response with Content-Length and chunked', raw: lines('HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: chunked', '', ''), fail: 400 },
    { name: 'response with duplicate Content-Length', raw: lines('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 5', '', ''), fail: 400 },
  ]);
});

describe('HeadParser responses: llhttp test/response/connection.md', () => {
  table('response', [
    // weft: llhttp treats Proxy-Connection: close like Connection: close. Proxy-Connection is no standard
    // field (RFC 9112 does not define it); weft does not act on it (it is hop-by-hop junk the caller drops).
    {
      name: 'Proxy-Connection: close is not Connection: close',
      raw: lines('HTTP/1.1 200 OK', 'Content-Type: text/html; charset=UTF-8', 'Content-Length: 11', 'Proxy-Connection: close', 'Date: Thu, 31 Dec 2009 20:55:48 +0000', '', 'hello world'),
      want: { status: 200, contentLength: 11, connClose: false, headEnd: 143 },
    },
    { name: 'HTTP/1.0 keep-alive with an EOF-terminated 200', raw: lines('HTTP/1.0 200 OK', 'Connection: keep-alive', '', 'HTTP/1.0 200 OK'), want: { status: 200, minor: 0, connKeepAlive: true, headEnd: 43 } },
    { name: 'HTTP/1.0 keep-alive 204', raw: lines('HTTP/1.0 204 No content', 'Connection: keep-alive', '', 'HTTP/1.0 200 OK'), want: { status: 204, minor: 0, keepAliveOk: true, headEnd: 51 } },
    { name: 'HTTP/1.1 EOF-terminated 200', raw: lines('HTTP/1.1 200 OK', '', 'HTTP/1.1 200 OK'), want: { status: 200, headEnd: 19 } },
    { name: 'HTTP/1.1 204', raw: lines('HTTP/1.1 204 No content', '', 'HTTP/1.1 200 OK'), want: { status: 204, keepAliveOk: true, headEnd: 27 } },
    { name: 'HTTP/1.1 204 with close', raw: lines('HTTP/1.1 204 No content', 'Connection: close', '', 'HTTP/1.1 200 OK'), want: { status: 204, connClose: true, keepAliveOk: false, headEnd: 46 } },
    { name: 'HTTP/1.1 close with a Content-Length', raw: lines('HTTP/1.1 200 No content', 'Content-Length: 5', 'Connection: close', '', '2ad731e3-4dcd-4f70-b871-0ad284b29ffc'), want: { status: 200, contentLength: 5, keepAliveOk: false, headEnd: 65 } },
    {
      name: '101 with Upgrade and a Content-Length',
      raw: lines('HTTP/1.1 101 Switching Protocols', 'Connection: upgrade', 'Upgrade: h2c', 'Content-Length: 4', '', 'bodyproto'),
      want: { status: 101, connUpgrade: true, upgrade: 'h2c', contentLength: 4, headEnd: 90 },
    },
    {
      name: '101 with Upgrade and chunked',
      raw: lines('HTTP/1.1 101 Switching Protocols', 'Connection: upgrade', 'Upgrade: h2c', 'Transfer-Encoding: chunked', '', '2', 'bo', '2', 'dy', '0', '', 'proto'),
      want: { status: 101, connUpgrade: true, upgrade: 'h2c', chunked: true, headEnd: 99 },
    },
    { name: '200 with an Upgrade header is no upgrade (the caller checks for 101)', raw: lines('HTTP/1.1 200 OK', 'Connection: upgrade', 'Upgrade: h2c', '', 'body'), want: { status: 200, connUpgrade: true, upgrade: 'h2c', headEnd: 54 } },
    { name: '200 with Upgrade and a Content-Length', raw: lines('HTTP/1.1 200 OK', 'Connection: upgrade', 'Upgrade: h2c', 'Content-Length: 4', '', 'body'), want: { status: 200, contentLength: 4, headEnd: 73 } },
    { name: '200 with Upgrade and chunked', raw: lines('HTTP/1.1 200 OK', 'Connection: upgrade', 'Upgrade: h2c', 'Transfer-Encoding: chunked', '', '2', 'bo', '2', 'dy', '0', '', ''), want: { status: 200, chunked: true, headEnd: 82 } },
  ]);
});

describe('HeadParser responses: llhttp test/response/content-length.md and transfer-encoding.md', () => {
  table('response', [
    {
      name: 'no Content-Length, a body, Connection: close',
      raw: lines('HTTP/1.1 200 OK', 'Date: Tue, 04 Aug 2009 07:59:32 GMT', 'Server: Apache', 'X-Powered-By: Servlet/2.5 JSP/2.1', 'Content-Type: text/xml; charset=utf-8', 'Connection: close', '', '<?xml version="1.0"?>'),
      want: { status: 200, connClose: true, keepAliveOk: false, headEnd: 165 },
    },
    { name: 'Content-Length-X is not Content-Length', raw: lines('HTTP/1.1 200 OK', 'Content-Length-X: 0', 'Transfer-Encoding: chunked', '', '2', 'OK', '0', '', ''), want: { status: 200, chunked: true, headEnd: 68 } },
    { name: 'tabs around the Content-Length value', raw: lines('HTTP/1.1 200 OK', 'Content-Length:\t42\t', '', ''), want: { status: 200, contentLength: 42, headEnd: 40 } },
    // RFC 9112 section 6.3: a response whose last coding is not chunked is read until the server closes.
    // weft used to refuse these (502 for a valid response); now it reports hasTransferEncoding without chunked.
    { name: 'chunked before another coding: read until close', raw: lines('HTTP/1.1 200 OK', 'Accept: */*', 'Transfer-Encoding: chunked, deflate', '', 'World'), want: { status: 200, chunked: false, hasTransferEncoding: true, headEnd: 69 } },
    {
      name: 'chunked, then identity in a second header: read until close',
      raw: lines('HTTP/1.1 200 OK', 'Accept: */*', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity', '', 'World'),
      want: { status: 200, chunked: false, hasTransferEncoding: true, headEnd: 89 },
    },
    { name: 'chunkedchunked does not enable chunked', raw: lines('HTTP/1.1 200 OK', 'Accept: */*', 'Transfer-Encoding: chunkedchunked', '', '2', 'OK', '0', '', ''), want: { status: 200, chunked: false, hasTransferEncoding: true, headEnd: 67 } },
    { name: 'Transfer-encoding: chunked with extensions body', raw: lines('HTTP/1.1 200 OK', 'Host: localhost', 'Transfer-encoding: chunked', '', '5;ilovew3;somuchlove=aretheseparametersfor', 'hello'), want: { status: 200, chunked: true, headEnd: 64 } },
    { name: 'obs-fold after chunked (lenient-only in llhttp)', raw: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '  abc', '', '5', 'World', '0', '', ''), fail: 400 },
    // Not in the corpus: chunked applied twice is refused in a response too (RFC 9112 section 6.1).
    { name: 'chunked, gzip, chunked in a response', raw: lines('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked, gzip, chunked', '', ''), fail: 400 },
  ]);
});

/** A connection's worth of messages: parse at `at`, then at the end of the previous message. */
interface Step {
  /** Offset where the previous message's body ended (headEnd + body length the caller computed). */
  at: number;
  want: Want;
  more?: true;
}

function runSequence(kind: Kind, raw: string, steps: Step[]): void {
  const buf = bytes(raw);
  for (const step of steps) {
    const r = parse(p, kind, buf, step.at, buf.length);
    if (step.more) {
      assert.equal(r, NEED_MORE, `at ${step.at}: ${r} (${p.error})`);
      continue;
    }
    assert.ok(r > 0, `at ${step.at}: ${r} (${p.error})`);
    checkFacts(p, buf, 0, { name: '', raw, want: step.want }, kind);
  }
}

describe('HeadParser: pipelined messages, one parser reused (each head parsed at the previous message end)', () => {
  it('llhttp test/request/pipelining.md: three requests with a CRLF after each body', () => {
    const raw = lines('POST /aaa HTTP/1.1', 'Content-Length: 3', '', 'AAA', 'PUT /bbb HTTP/1.1', 'Content-Length: 4', '', 'BBBB', 'PATCH /ccc HTTP/1.1', 'Content-Length: 5', '', 'CCCC');
    runSequence('request', raw, [
      { at: 0, want: { method: 'POST', target: '/aaa', contentLength: 3, headEnd: 41 } },
      { at: 41 + 3, want: { method: 'PUT', target: '/bbb', contentLength: 4, lineStart: 46, headEnd: 86 } },
      { at: 86 + 4, want: { method: 'PATCH', target: '/ccc', contentLength: 5, lineStart: 92, headEnd: 134 } },
    ]);
  });
  it('llhttp test/request/connection.md: keep-alive restarts', () => {
    const raw = lines('PUT /url HTTP/1.1', 'Connection: keep-alive', '', 'PUT /url HTTP/1.1', 'Connection: keep-alive', '', '');
    runSequence('request', raw, [
      { at: 0, want: { connKeepAlive: true, headEnd: 45 } },
      { at: 45, want: { connKeepAlive: true, headEnd: 90 } },
    ]);
  });
  it('llhttp test/request/connection.md: two CRLFs between requests, then an incomplete request line', () => {
    const raw = lines('POST / HTTP/1.1', 'Host: www.example.com', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 4', '', 'q=42', '', 'GET / HTTP/1.1');
    runSequence('request', raw, [
      { at: 0, want: { contentLength: 4, keepAliveOk: true, headEnd: 110 } },
      { at: 114, want: {}, more: true },
    ]);
    // ...which parses once its blank line arrives: both empty lines are skipped.
    runSequence('request', raw + '\r\n\r\n', [{ at: 114, want: { method: 'GET', lineStart: 118, headEnd: 118 + 'GET / HTTP/1.1\r\n\r\n'.length } }]);
  });
  it('llhttp test/request/content-length.md: Content-Length does not carry over to the next request', () => {
    const raw = lines('PUT /url HTTP/1.1', 'Content-Length: 123', '', 'POST /url HTTP/1.1', 'Content-Length: 456', '', '');
    // skipBody in the corpus: the caller knows there is no body (here: the next head starts right away).
    runSequence('request', raw, [
      { at: 0, want: { method: 'PUT', contentLength: 123, headEnd: 42 } },
      { at: 42, want: { method: 'POST', contentLength: 456, headEnd: 85 } },
    ]);
  });
  it('flags of one message do not leak into the next', () => {
    const raw = lines('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Connection: close, upgrade', 'Upgrade: ws', 'Expect: 100-continue', 'Host: a', '', 'GET / HTTP/1.1', '', '');
    const first = raw.indexOf('GET');
    runSequence('request', raw, [
      { at: 0, want: { chunked: true, connClose: true, connUpgrade: true, upgrade: 'ws', expectContinue: true, hostCount: 1, headEnd: first } },
      { at: first, want: { method: 'GET', connClose: false, connUpgrade: false, upgrade: null, hostCount: 0, host: null, keepAliveOk: true, headEnd: raw.length } },
    ]);
  });
  it('llhttp test/response/pipelining.md: three responses with a CRLF after each body', () => {
    const raw = lines('HTTP/1.1 200 OK', 'Content-Length: 3', '', 'AAA', 'HTTP/1.1 201 Created', 'Content-Length: 4', '', 'BBBB', 'HTTP/1.1 202 Accepted', 'Content-Length: 5', '', 'CCCC');
    runSequence('response', raw, [
      { at: 0, want: { status: 200, contentLength: 3, headEnd: 38 } },
      { at: 38 + 3, want: { status: 201, contentLength: 4, headEnd: 86 } },
      { at: 86 + 4, want: { status: 202, contentLength: 5, headEnd: 136 } },
    ]);
  });
  it('llhttp test/response/connection.md: 304 with Content-Length has no body; a CRLF before the next response', () => {
    const raw = lines('HTTP/1.1 304 Not Modified', 'Content-Length: 10', '', '', 'HTTP/1.1 200 OK', 'Content-Length: 5', '', 'hello');
    runSequence('response', raw, [
      { at: 0, want: { status: 304, contentLength: 10, headEnd: 49 } },
      { at: 49, want: { status: 200, contentLength: 5, lineStart: 51, headEnd: 89 } },
    ]);
  });
  it('llhttp test/response/connection.md: 304 with chunked has no body', () => {
    const raw = lines('HTTP/1.1 304 Not Modified', 'Transfer-Encoding: chunked', '', 'HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', '', '5', 'hello', '0', '');
    runSequence('response', raw, [
      { at: 0, want: { status: 304, chunked: true, headEnd: 57 } },
      { at: 57, want: { status: 200, chunked: true, headEnd: 104 } },
    ]);
  });
  it('llhttp test/response/connection.md: 100 Continue, a stray CRLF, then 404', () => {
    const raw = lines(
      'HTTP/1.1 100 Continue',
      '',
      '',
      'HTTP/1.1 404 Not Found',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 14',
      'Date: Fri, 15 Sep 2023 19:47:23 GMT',
      'Server: Python/3.10 aiohttp/4.0.0a2.dev0',
      '',
      '404: Not Found',
    );
    runSequence('response', raw, [
      { at: 0, want: { status: 100, headEnd: 25 } },
      { at: 25, want: { status: 404, contentLength: 14, lineStart: 27, headEnd: 193 } },
    ]);
  });
  it('llhttp test/response/connection.md: 103 Early Hints, then 200 with Keep-Alive', () => {
    const raw = lines(
      'HTTP/1.1 103 Early Hints',
      'Link: </styles.css>; rel=preload; as=style',
      '',
      'HTTP/1.1 200 OK',
      'Date: Wed, 13 Sep 2023 11:09:41 GMT',
      'Connection: keep-alive',
      'Keep-Alive: timeout=5',
      'Content-Length: 17',
      '',
      'response content',
    );
    runSequence('response', raw, [
      { at: 0, want: { status: 103, headers: [['link', '</styles.css>; rel=preload; as=style']], headEnd: 72 } },
      { at: 72, want: { status: 200, contentLength: 17, connKeepAlive: true, keepAlive: 'timeout=5', headEnd: 195 } },
    ]);
  });
  it('llhttp test/response/content-length.md: Content-Length does not carry over', () => {
    const raw = lines('HTTP/1.1 200 OK', 'Content-Length: 123', '', 'HTTP/1.1 200 OK', 'Content-Length: 456', '', '');
    runSequence('response', raw, [
      { at: 0, want: { status: 200, contentLength: 123, headEnd: 40 } },
      { at: 40, want: { status: 200, contentLength: 456, headEnd: 80 } },
    ]);
  });
  it('llhttp test/response/connection.md: after a 204, an incomplete next status line waits', () => {
    runSequence('response', lines('HTTP/1.0 204 No content', 'Connection: keep-alive', '', 'HTTP/1.0 200 OK'), [
      { at: 0, want: { status: 204, headEnd: 51 } },
      { at: 51, want: {}, more: true },
    ]);
  });
});

describe('HeadParser limits', () => {
  const filler = (n: number): string => 'X-Fill: ' + 'a'.repeat(n - 'X-Fill: '.length);
  /** A request head of exactly `total` bytes. */
  function headOf(total: number): string {
    const base = lines('GET / HTTP/1.1', '', '');
    return lines('GET / HTTP/1.1', filler(total - base.length - 2), '', '');
  }
  it('the defaults are the ones the issue names: 60 KiB, 100 fields, 8 KiB request line', () => {
    assert.deepEqual(DEFAULT_LIMITS, { maxHeadBytes: 60 * 1024, maxHeaders: 100, maxRequestLine: 8 * 1024 });
  });
  it('a head of exactly 60 KiB parses; one byte more is 431', () => {
    const ok = headOf(60 * 1024);
    assert.equal(ok.length, 60 * 1024);
    runRow({ name: '', raw: ok }, 'request');
    runRow({ name: '', raw: headOf(60 * 1024 + 1), fail: 431 }, 'request');
  });
  it('an incomplete head is refused with 431 as soon as it passes 60 KiB, not when it ends', () => {
    const partial = bytes(lines('GET / HTTP/1.1', 'X: ' + 'a'.repeat(70 * 1024)));
    assert.equal(p.parseRequest(partial, 0, 60 * 1024), NEED_MORE);
    assert.equal(p.parseRequest(partial, 0, 60 * 1024 + 1), ERROR);
    assert.equal(p.errorStatus, 431);
  });
  it('empty lines before the request line count towards the limit', () => {
    const crlfs = bytes('\r\n'.repeat(40 * 1024));
    assert.equal(p.parseRequest(crlfs, 0, crlfs.length), ERROR);
    assert.equal(p.errorStatus, 431);
  });
  it('100 header fields parse; 101 are 431', () => {
    const fields = (n: number): string[] => Array.from({ length: n }, (_, i) => `X-${i}: ${i}`);
    runRow({ name: '', raw: lines('GET / HTTP/1.1', ...fields(100), '', ''), want: { headers: fields(100).map((f, i) => [`x-${i}`, String(i)]) } }, 'request');
    runRow({ name: '', raw: lines('GET / HTTP/1.1', ...fields(101), '', ''), fail: 431 }, 'request');
    runRow({ name: '', raw: lines('HTTP/1.1 200 OK', ...fields(101), '', ''), fail: 431 }, 'response');
  });
  it('a request line of 8 KiB parses; one byte more is 414', () => {
    const line = (len: number): string => 'GET /' + 'p'.repeat(len - 'GET / HTTP/1.1'.length) + ' HTTP/1.1';
    assert.equal(line(8192).length, 8192);
    runRow({ name: '', raw: lines(line(8192), '', '') }, 'request');
    runRow({ name: '', raw: lines(line(8193), '', ''), fail: 414 }, 'request');
  });
  it('an unfinished request line is refused with 414 as soon as it passes 8 KiB', () => {
    const partial = bytes('GET /' + 'p'.repeat(20 * 1024));
    assert.equal(p.parseRequest(partial, 0, 8192), NEED_MORE);
    assert.equal(p.parseRequest(partial, 0, 8193), ERROR);
    assert.equal(p.errorStatus, 414);
    // Stale bytes after `end` (a reused buffer) must not hide that the line is still open.
    const stale = Buffer.concat([partial.subarray(0, 9000), bytes(' HTTP/1.1\r\n\r\n')]);
    assert.equal(p.parseRequest(stale, 0, 8193), ERROR);
    assert.equal(p.errorStatus, 414);
  });
  it('limits are per parser', () => {
    const small = new HeadParser({ maxHeaders: 2, maxHeadBytes: 200, maxRequestLine: 20 });
    const two = bytes(lines('GET / HTTP/1.1', 'A: 1', 'B: 2', '', ''));
    assert.equal(small.parseRequest(two, 0, two.length), two.length);
    const three = bytes(lines('GET / HTTP/1.1', 'A: 1', 'B: 2', 'C: 3', '', ''));
    assert.equal(small.parseRequest(three, 0, three.length), ERROR);
    assert.equal(small.errorStatus, 431);
    const long = bytes(lines('GET /aaaaaaaaaaaa HTTP/1.1', '', ''));
    assert.equal(small.parseRequest(long, 0, long.length), ERROR);
    assert.equal(small.errorStatus, 414);
    const big = bytes(lines('GET / HTTP/1.1', 'A: ' + 'a'.repeat(200), '', ''));
    assert.equal(small.parseRequest(big, 0, big.length), ERROR);
    assert.equal(small.errorStatus, 431);
  });
});

// A small seeded generator, so that a failure names a seed that reproduces it.

const TCHARS = new Set(Array.from("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", (c) => c.charCodeAt(0)));

/** What must hold after any parse, whatever the input. */
function checkInvariants(p: HeadParser, kind: Kind, buf: Buffer, start: number, end: number, r: number): void {
  if (r === ERROR) {
    assert.ok([400, 414, 431, 505].includes(p.errorStatus), `status ${p.errorStatus}`);
    assert.notEqual(p.error, '');
    return;
  }
  if (r === NEED_MORE) return;
  assert.ok(r > start && r <= end, `head end ${r} outside (${start}, ${end}]`);
  assert.equal(r, p.headEnd);
  assert.ok(r - start <= p.limits.maxHeadBytes);
  assert.equal(buf.toString('latin1', r - 4, r), '\r\n\r\n');
  assert.ok(p.lineStart >= start && p.lineStart < r);
  if (kind === 'request') {
    assert.ok(p.methodEnd > p.lineStart && p.targetStart === p.methodEnd + 1 && p.targetEnd > p.targetStart && p.targetEnd < r);
    for (let i = p.lineStart; i < p.methodEnd; i++) assert.ok(TCHARS.has(buf[i]!), 'method byte');
    for (let i = p.targetStart; i < p.targetEnd; i++) assert.ok(buf[i]! > 0x20 && buf[i]! < 0x7f, 'target byte');
  } else {
    assert.ok(p.status >= 100 && p.status <= 599);
  }
  assert.ok(p.minor === 0 || p.minor === 1);
  assert.ok(p.count <= p.limits.maxHeaders);
  let prev = kind === 'request' ? p.targetEnd : p.lineStart;
  for (let k = 0; k < p.count; k++) {
    const [n0, n1, v0, v1] = [p.hdr[k * 4]!, p.hdr[k * 4 + 1]!, p.hdr[k * 4 + 2]!, p.hdr[k * 4 + 3]!];
    assert.ok(prev < n0 && n0 < n1 && n1 < v0 && v0 <= v1 && v1 <= r - 4, `header ${k} offsets`);
    assert.equal(buf[n1], 0x3a, 'colon after the name');
    for (let i = n0; i < n1; i++) assert.ok(TCHARS.has(buf[i]!), 'name byte');
    for (let i = v0; i < v1; i++) assert.ok(buf[i] === 9 || (buf[i]! >= 0x20 && buf[i] !== 0x7f), 'value byte');
    if (v1 > v0) for (const i of [v0, v1 - 1]) assert.ok(buf[i] !== 0x20 && buf[i] !== 9, 'value trimmed');
    prev = v1;
  }
  assert.ok(Number.isSafeInteger(p.contentLength) && p.contentLength >= -1);
  if (p.chunked) assert.ok(p.hasTransferEncoding);
  if (p.hasTransferEncoding) assert.equal(p.contentLength, -1, 'Content-Length with Transfer-Encoding');
  if (kind === 'request' && p.hasTransferEncoding) assert.ok(p.chunked && p.minor === 1);
}

describe('HeadParser fuzz (bounded, seeded)', () => {
  const requests = [
    lines('POST /a?b=c HTTP/1.1', 'Host: example.com', 'Content-Length: 5', 'Connection: keep-alive, Upgrade', 'Upgrade: ws', 'Expect: 100-continue', '', 'hello'),
    lines('PUT /url HTTP/1.1', 'Transfer-Encoding: gzip, chunked', 'X-Empty:', 'X:  v v  ', '', '5', 'hello', '0', '', ''),
    '\r\n' + lines('GET http://h:1/p HTTP/1.0', 'Connection: keep-alive', 'Keep-Alive: 300', '', ''),
  ];
  const responses = [
    lines('HTTP/1.1 200 OK', 'Content-Length: 3', 'Connection: close', '', 'abc'),
    lines('HTTP/1.0 101 Switching Protocols', 'Connection: upgrade', 'Upgrade: h2c', 'Transfer-Encoding: chunked, gzip', '', ''),
  ];
  const interesting = [0, 9, 10, 13, 32, 0x3a, 0x2c, 0x30, 0x39, 0x61, 0x7f, 0x80, 0xff, 0x22, 0x3b];

  function mutate(next: () => number, src: Buffer): Buffer {
    let b = Buffer.from(src);
    const edits = 1 + Math.floor(next() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * (b.length + 1));
      const byte = next() < 0.7 ? interesting[Math.floor(next() * interesting.length)]! : Math.floor(next() * 256);
      const op = next();
      if (op < 0.5 && at < b.length) b[at] = byte;
      else if (op < 0.8) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    return b;
  }

  it('never throws; errors carry a status; heads satisfy the invariants; splits never change the answer', () => {
    const seed = 0x5eed;
    const next = seeded(seed);
    const q = new HeadParser();
    for (let n = 0; n < 3000; n++) {
      const kind: Kind = next() < 0.6 ? 'request' : 'response';
      const pool = kind === 'request' ? requests : responses;
      const input = mutate(next, bytes(pool[Math.floor(next() * pool.length)]!));
      const ctx = `seed ${seed}, iteration ${n}, ${kind} ${JSON.stringify(input.toString('latin1', 0, input.length))}`;
      try {
        const whole = parse(q, kind, input, 0, input.length);
        checkInvariants(q, kind, input, 0, input.length, whole);
        const status = q.errorStatus;
        const facts = whole > 0 ? JSON.stringify([q.count, q.contentLength, q.chunked, q.keepAliveOk, Array.from(q.hdr.subarray(0, q.count * 4))]) : '';
        // Data arrives in pieces: every shorter end must wait (or fail early, only if the whole fails),
        // and the whole, parsed again, must give the same answer.
        for (let cuts = 0; cuts < 4; cuts++) {
          const end = Math.floor(next() * input.length);
          const r = parse(q, kind, input, 0, end);
          checkInvariants(q, kind, input, 0, end, r);
          if (whole > 0) assert.equal(r, end < whole ? NEED_MORE : whole, `prefix ${end} of a head that parses`);
          else if (whole === NEED_MORE) assert.equal(r, NEED_MORE, `prefix ${end} of an incomplete head`);
          else assert.ok(r === NEED_MORE || r === ERROR, `prefix ${end}: ${r}`);
        }
        const again = parse(q, kind, input, 0, input.length);
        assert.equal(again, whole);
        if (whole === ERROR) assert.equal(q.errorStatus, status);
        if (whole > 0) assert.equal(JSON.stringify([q.count, q.contentLength, q.chunked, q.keepAliveOk, Array.from(q.hdr.subarray(0, q.count * 4))]), facts);
      } catch (err) {
        throw new Error(`${ctx}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});

describe('incremental scanning (a head arriving byte by byte is checked once)', () => {
  const heads = [
    'GET /a HTTP/1.1\r\nHost: x\r\nX-Long: ' + 'v'.repeat(3000) + '\r\n\r\n',
    '\r\n\r\nPOST /b HTTP/1.0\r\nHost: y\r\nContent-Length: 3\r\n\r\nabc',
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n',
  ];
  for (const h of heads) {
    it(`same result fed whole and byte by byte with the scan offset: ${JSON.stringify(h.slice(0, 40))}`, () => {
      const buf = Buffer.from(h, 'latin1');
      const whole = new HeadParser();
      const rw = whole.parseRequest(buf, 0, buf.length);
      const inc = new HeadParser();
      let r = NEED_MORE;
      let from = 0;
      for (let end = 1; end <= buf.length; end++) {
        r = inc.parseRequest(buf, 0, end, from);
        if (r !== NEED_MORE) break;
        from = inc.scanned;
        assert.ok(from <= end);
      }
      assert.equal(r, rw);
      // Caught early (while incomplete) or at the end: the same refusal, though the words may differ.
      assert.equal(inc.errorStatus, whole.errorStatus);
      assert.equal(inc.error === '', whole.error === '');
      if (r > 0) assert.deepEqual([inc.count, inc.headEnd, inc.contentLength], [whole.count, whole.headEnd, whole.contentLength]);
    });
  }
});
