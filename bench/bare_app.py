"""The bare floor: a Flask app with no NTBase code, one route returning a short text.

bench.run serves it with the same gunicorn settings as NTBase (``bench.bare_app:app``) and
divides every figure by its throughput at the same concurrency, in the same pass.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/floor")
def floor():
    return "ok"
