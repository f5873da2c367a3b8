"""TensorFlow's native start-up chatter, kept out of the server's log on CPU machines.

TensorFlow's shared libraries print "Could not find cuda drivers", "oneDNN custom
operations are on" and similar lines straight to file descriptor 2 while they load,
before any logging setting applies (TF_CPP_MIN_LOG_LEVEL does not reach them). While
the app imports TensorFlow and loads its models, fd 2 goes through a filter that drops
exactly those lines and passes everything else on. `VQADEMO_NATIVE_LOGS=1` shows them.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NOISE = re.compile(
    rb"absl::InitializeLog|oneDNN custom operations are on|Could not find cuda drivers|failed call to cuInit"
    rb"|TensorFlow binary is optimized|To enable the following instructions|oneDNN supports DT_BOOL"
)


@contextmanager
def native_noise_filtered() -> Iterator[None]:
    if os.environ.get("VQADEMO_NATIVE_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not NOISE.search(line):
                    os.write(original, line)

    pump = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # closes the pipe's last write end: the pump sees its end
        pump.join(timeout=2)
        os.close(original)
