# moto server answering one request at a time, on a port the system chooses.
#
# DynamoDB applies every request atomically: a conditional PutItem or a TransactWriteItems either
# sees the effect of a concurrent request or not, never half of it. moto's own `moto_server`
# runs requests on threads with no lock around an operation, so two concurrent conditional
# writes can both pass their condition (seen: 11 of 10 units reserved by 20 racing orders). The
# threaded server is kept (keep-alive connections must not block each other); a lock around the
# application makes each request whole, as AWS does. No request of ours blocks inside moto (SQS
# receives use WaitTimeSeconds 0), so the lock never waits on another request.
#
# The server binds port 0 and prints the port it got ("moto listening on 127.0.0.1:PORT") before
# serving: no other process can take that port between choosing it and binding it.
#
# Run as: python -c "$(cat moto_server.py)"
import os
import sys
import threading

from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

application = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def one_at_a_time(environ, start_response):
    with lock:
        return list(application(environ, start_response))


server = make_server(
    "127.0.0.1",
    0,
    one_at_a_time,
    threaded=True,
    request_handler=MotoRequestHandler,
)
port = server.socket.getsockname()[1]
# moto builds some URLs (SQS queue URLs) from MOTO_PORT when a request does not name its host.
os.environ["MOTO_PORT"] = str(port)
print(f"moto listening on 127.0.0.1:{port}", flush=True)
server.serve_forever()
