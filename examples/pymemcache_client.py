#!/usr/bin/python3
"""An external client for reliabd, in Python with pymemcache (Debian's
python3-pymemcache): the smallest program the lab can judge beside its
own clients (docs/CLIENTS.md, "External clients").

It drives gets and sets from --workers threads, each an independent
caller with a pymemcache Client per server, keys mapped to servers by
pymemcache's rendezvous hash. It serves on --metrics the names the lab
reads (docs/METRICS.md):

  memcache_operations_total{op,status}
  memcache_operation_errors_total{op,server,kind}
  memcache_operation_duration_seconds{op,server}   (histogram)
  memcache_operations_rate, memcache_error_rate    (over the last second)

It has no circuit breaker and no pool, so it exports none of their
series: `reliabctl check-client` says which checks that leaves.

reliabd runs it from a [loadgen NAME] section, for example:

  [loadgen py]
  kind    = external
  metrics = 127.0.0.1:9301
  command = /usr/share/doc/reliabd/examples/pymemcache_client.py --servers={servers} --metrics={metrics}

(one line: reliabd.conf has no continuation lines).
"""

import argparse
import random
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pymemcache.client.base import Client
from pymemcache.client.rendezvous import RendezvousHash
from pymemcache.exceptions import (MemcacheClientError, MemcacheError,
                                   MemcacheServerError,
                                   MemcacheUnexpectedCloseError)

BOUNDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1, 0.25, 0.5, 1, 2.5, 5, 10)
OPS = ("get", "set")


def hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError("%r: expected HOST:PORT" % text)
    return host.strip("[]"), int(port)


def servers_arg(text):
    out = {}
    for item in text.split(","):
        name, eq, addr = item.partition("=")
        if not eq or not name:
            raise argparse.ArgumentTypeError("%r: expected NAME=HOST:PORT"
                                             % item)
        out[name] = hostport(addr)
    return out


class Metrics:
    """Counters and histograms under one lock, written as Prometheus
    text on request."""

    def __init__(self, servers):
        self.lock = threading.Lock()
        self.ops = {(op, st): 0 for op in OPS for st in ("success", "failed")}
        # Every series from the start, at 0: a reader can tell "no
        # errors" from "does not count errors".
        self.errors = {(op, s, kind): 0 for op in OPS for s in servers
                       for kind in ("timeout", "connection", "server")}
        self.hist = {(op, s): [0] * (len(BOUNDS) + 1) + [0.0]
                     for op in OPS for s in servers}
        self.rate = 0.0
        self.error_rate = 0.0

    def done(self, op, server, seconds, kind):
        with self.lock:
            self.ops[(op, "failed" if kind else "success")] += 1
            if kind:
                self.errors[(op, server, kind)] += 1
            h = self.hist[(op, server)]
            i = 0
            while i < len(BOUNDS) and seconds > BOUNDS[i]:
                i += 1
            h[i] += 1
            h[-1] += seconds

    def tick(self, stop):
        last, last_failed, t0 = 0, 0, time.monotonic()
        while not stop.wait(1.0):
            with self.lock:
                total = sum(self.ops.values())
                failed = sum(v for (_, st), v in self.ops.items()
                             if st == "failed")
            t1 = time.monotonic()
            n = total - last
            self.rate = n / (t1 - t0)
            self.error_rate = (failed - last_failed) / n if n else 0.0
            last, last_failed, t0 = total, failed, t1

    def text(self):
        out = []
        with self.lock:
            out.append("# TYPE memcache_operations_total counter")
            for (op, st), v in sorted(self.ops.items()):
                out.append('memcache_operations_total{op="%s",status="%s"} %d'
                           % (op, st, v))
            out.append("# TYPE memcache_operations_rate gauge")
            out.append("memcache_operations_rate %g" % self.rate)
            out.append("# TYPE memcache_error_rate gauge")
            out.append("memcache_error_rate %g" % self.error_rate)
            out.append("# TYPE memcache_operation_errors_total counter")
            for (op, s, kind), v in sorted(self.errors.items()):
                out.append('memcache_operation_errors_total{op="%s",server='
                           '"%s",kind="%s"} %d' % (op, s, kind, v))
            out.append("# TYPE memcache_operation_duration_seconds histogram")
            for (op, s), h in sorted(self.hist.items()):
                lab = 'op="%s",server="%s"' % (op, s)
                cum = 0
                for i, le in enumerate(BOUNDS):
                    cum += h[i]
                    out.append('memcache_operation_duration_seconds_bucket'
                               '{%s,le="%g"} %d' % (lab, le, cum))
                cum += h[len(BOUNDS)]
                out.append('memcache_operation_duration_seconds_bucket'
                           '{%s,le="+Inf"} %d' % (lab, cum))
                out.append("memcache_operation_duration_seconds_sum{%s} %.6f"
                           % (lab, h[-1]))
                out.append("memcache_operation_duration_seconds_count{%s} %d"
                           % (lab, cum))
        return ("\n".join(out) + "\n").encode()


def error_kind(exc):
    """The lab's error kinds (docs/METRICS.md)."""
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, (MemcacheServerError, MemcacheClientError)):
        return "server"
    if isinstance(exc, (OSError, MemcacheUnexpectedCloseError)):
        return "connection"
    return "server"


def worker(args, ring, metrics, stop, seed):
    rng = random.Random(seed)
    clients = {name: Client(addr, connect_timeout=args.op_timeout,
                            timeout=args.op_timeout, no_delay=True)
               for name, addr in args.servers.items()}
    value = b"v" * args.value_size
    while not stop.is_set():
        key = "reliabd:py:%d" % rng.randrange(args.keys)
        server = ring.get_node(key)
        op = "set" if rng.random() < args.set_ratio else "get"
        client = clients[server]
        t0 = time.monotonic()
        kind = None
        try:
            if op == "get":
                client.get(key)
            else:
                client.set(key, value, noreply=False)
        except (MemcacheError, OSError) as exc:
            kind = error_kind(exc)
            # Out of step with its server after a failure: a new
            # connection for the next call.
            client.close()
        metrics.done(op, server, time.monotonic() - t0, kind)
        if kind:
            # An application would go to its database now; the worker
            # must not spin on a dead server.
            stop.wait(args.fallback)
        elif args.interval:
            stop.wait(args.interval)
    for c in clients.values():
        c.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--servers", type=servers_arg, required=True,
                   help="NAME=HOST:PORT,... (reliabd's {servers})")
    p.add_argument("--metrics", type=hostport, required=True,
                   help="HOST:PORT to serve /metrics on")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--keys", type=int, default=1000)
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--set-ratio", type=float, default=0.1)
    p.add_argument("--op-timeout", type=float, default=0.2,
                   help="seconds, for connect, send and receive")
    p.add_argument("--fallback", type=float, default=0.01,
                   help="seconds a worker waits after a failed call")
    p.add_argument("--interval", type=float, default=0,
                   help="seconds a worker waits after a successful call "
                   "(0: back to back)")
    p.add_argument("--duration", type=float, default=0,
                   help="seconds; 0 runs until SIGTERM")
    args = p.parse_args()
    if not 1 <= args.workers <= 256 or args.keys < 1:
        p.error("--workers is 1..256, --keys at least 1")

    metrics = Metrics(args.servers)
    ring = RendezvousHash(nodes=sorted(args.servers))
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = metrics.text()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(args.metrics, Handler)
    httpd.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    threads = [threading.Thread(target=httpd.serve_forever, daemon=True),
               threading.Thread(target=metrics.tick, args=(stop,),
                                daemon=True)]
    threads += [threading.Thread(target=worker,
                                 args=(args, ring, metrics, stop, i))
                for i in range(args.workers)]
    for t in threads:
        t.start()
    print("pymemcache_client: %d workers on %s, metrics on %s:%d"
          % (args.workers, ",".join(sorted(args.servers)), *args.metrics),
          flush=True)
    stop.wait(args.duration or None)
    stop.set()
    for t in threads[2:]:
        t.join()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
