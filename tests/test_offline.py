"""The packaged model loads with no network, no Hugging Face settings, and leaves the environment alone."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from bot.knowledge.embeddings import make_embeddings

REPO = Path(__file__).resolve().parents[1]
_HF_PREFIXES = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_")

# Run in a fresh interpreter: records every outside connection or name lookup instead of letting a
# library swallow the refusal and carry on, then loads the model and embeds one sentence.
_CHILD = """
import json, os, socket, sys
attempts = []
real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        attempts.append(repr(address))
        raise ConnectionRefusedError(f"network access attempted: {address!r}")
    return real_connect(self, address)

def getaddrinfo(host, *args, **kwargs):
    attempts.append(f"lookup {host!r}")
    raise socket.gaierror(f"name lookup attempted: {host!r}")

socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
before = dict(os.environ)
from bot.knowledge.embeddings import make_embeddings
vector = make_embeddings("local").embed_query("Every child reading by the end of Grade 3.")
after = dict(os.environ)
print(json.dumps({"dims": len(vector), "attempts": attempts,
                  "hf_env": sorted(k for k in after if k.startswith(%r))}))
"""


def test_the_default_model_loads_and_embeds_with_the_network_guard_on():
    # the session-wide model is loaded before function fixtures; this one loads under the guard
    assert socket.socket.connect.__name__ == "guarded"
    model = make_embeddings("local")
    vectors = model.embed_documents(["Every child reading by the end of Grade 3."])
    assert len(vectors) == 1 and len(vectors[0]) == 384
    assert abs(sum(v * v for v in vectors[0]) - 1.0) < 1e-3  # normalised: dot product is cosine


def test_a_fresh_process_without_hugging_face_settings_loads_it_offline(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(_HF_PREFIXES)}
    # an empty home: no Hugging Face cache to fall back on, the package's files are the only source
    env |= {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD % (_HF_PREFIXES,)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"dims": 384, "attempts": [], "hf_env": []}
    assert "Loading weights" not in result.stderr  # no progress bar in the command's output


def test_making_the_model_leaves_the_environment_unchanged(embeddings, monkeypatch):
    # `embeddings` has imported torch and transformers, which set their own variables once on import
    for name in list(os.environ):
        if name.startswith(_HF_PREFIXES):
            monkeypatch.delenv(name)
    before = dict(os.environ)
    make_embeddings("local")
    assert dict(os.environ) == before
