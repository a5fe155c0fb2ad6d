import socket

from bot.knowledge.embeddings import make_embeddings


def test_the_default_model_loads_and_embeds_with_the_network_guard_on():
    # the session-wide model is loaded before function fixtures; this one loads under the guard
    assert socket.socket.connect.__name__ == "guarded"
    model = make_embeddings("local")
    vectors = model.embed_documents(["Every child reading by the end of Grade 3."])
    assert len(vectors) == 1 and len(vectors[0]) == 384
    assert abs(sum(v * v for v in vectors[0]) - 1.0) < 1e-3  # normalised: dot product is cosine
