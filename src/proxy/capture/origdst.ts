// The address a connection was sent to before an iptables REDIRECT sent it to this proxy: Linux keeps it in
// the connection's conntrack entry and hands it out through getsockopt(fd, SOL_IP, SO_ORIGINAL_DST), which
// fills a struct sockaddr_in. Node exposes no getsockopt, so libc's is called through koffi (an FFI with
// prebuilt binaries: no compiler at install time). The `sockopt` package was measured too: it loads on
// Node 24 but reads integer options only, and SO_ORIGINAL_DST is a 16-byte struct.
import type net from 'node:net';
import koffi from 'koffi';

const SOL_IP = 0;
const SO_ORIGINAL_DST = 80;
const SOCKADDR_IN_BYTES = 16;
const AF_INET = 2;

export interface OriginalDst {
  address: string;
  port: number;
}

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, len: number[]) => number;
let getsockopt: GetSockOpt | undefined;

function libc(): GetSockOpt {
  if (getsockopt === undefined) {
    const lib = koffi.load('libc.so.6');
    getsockopt = lib.func('int getsockopt(int fd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)') as GetSockOpt;
  }
  return getsockopt;
}

/** The socket's file descriptor, from its libuv handle (-1 when it has none, e.g. already closed). */
export function socketFd(sock: net.Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** Parses a struct sockaddr_in: family (host order), port and address (network order). Pure. */
export function parseSockaddrIn(b: Buffer): OriginalDst | undefined {
  if (b.length < 8 || b.readUInt16LE(0) !== AF_INET) return undefined;
  return { port: b.readUInt16BE(2), address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}` };
}

/**
 * The original IPv4 destination of a redirected connection, or an Error saying why there is none
 * (ENOENT: the connection was not NATed, e.g. it reached the capture port directly).
 */
export function originalDst(sock: net.Socket): OriginalDst | Error {
  const fd = socketFd(sock);
  if (fd < 0) return new Error('socket has no file descriptor');
  const buf = Buffer.alloc(SOCKADDR_IN_BYTES);
  const len = [SOCKADDR_IN_BYTES];
  if (libc()(fd, SOL_IP, SO_ORIGINAL_DST, buf, len) !== 0) {
    const errno = koffi.errno();
    const name = Object.entries(koffi.os.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    return Object.assign(new Error(`getsockopt SO_ORIGINAL_DST: ${name}`), { code: name });
  }
  return parseSockaddrIn(buf.subarray(0, len[0])) ?? new Error('getsockopt SO_ORIGINAL_DST: not an IPv4 address');
}
