"""Pull an image through containerd's CRI image service, as kubelet does, with no credentials in the
request: containerd resolves the name through its hosts.toml pull order and authenticates with what its
config.toml holds. A tool for the molecule verifiers (no crictl package exists for the test images).

    cri_pull.py IMAGE [SOCKET]      exit 0 and the image's ref on stdout when containerd pulled it

Speaks just enough gRPC: HTTP/2 over the unix socket (prior knowledge), HPACK literals without
Huffman coding for the request, the PullImageRequest protobuf (runtime.v1, field 1 ImageSpec.image) by
hand. Success is a PullImageResponse (field 1, image_ref); anything else exits 1 with what came back.
"""
import socket
import struct
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = [first | limit], value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def literal(name, value):
    """Literal header field without indexing, new name, no Huffman coding (RFC 7541 6.2.2)."""
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("containerd closed the connection")
        data += chunk
    return data


def pull(image, path="/run/containerd/containerd.sock", timeout=300):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    headers = b"".join(literal(k, v) for k, v in (
        (":method", "POST"), (":scheme", "http"), (":path", "/runtime.v1.ImageService/PullImage"),
        (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers")))
    message = field(1, field(1, image.encode()))  # PullImageRequest.image = ImageSpec{image}
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, END_HEADERS, 1, headers)
                 + frame(DATA, END_STREAM, 1, b"\x00" + struct.pack(">I", len(message)) + message))
    body, trailers = b"", b""
    while True:
        head = read_exact(sock, 9)
        length = struct.unpack(">I", b"\x00" + head[:3])[0]
        kind, flags, stream = head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
        payload = read_exact(sock, length)
        if kind == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == PING and not flags & ACK:
            sock.sendall(frame(PING, ACK, 0, payload))
        elif kind == DATA and stream == 1:
            body += payload
        elif kind == HEADERS and stream == 1:
            trailers += payload
            if flags & END_STREAM:
                break
        elif kind in (RST_STREAM, GOAWAY):
            raise EOFError("containerd ended the call (frame type %d): %r" % (kind, payload))
        if kind == DATA and stream == 1 and flags & END_STREAM:
            break
    sock.close()
    # A PullImageResponse: gRPC's 5-byte prefix, then field 1 (image_ref) as a length-delimited string.
    if len(body) > 7 and body[5] == 0x0A:
        return body[7:7 + body[6]].decode()
    raise RuntimeError("no image came back; response trailers (HPACK): %r" % trailers)


if __name__ == "__main__":
    try:
        print(pull(*sys.argv[1:3]))
    except (OSError, EOFError, RuntimeError) as exc:
        print("cri_pull: %s" % exc, file=sys.stderr)
        sys.exit(1)
