"""A tiny Flask app for hardbake's migration end-to-end test."""

import os
from importlib.metadata import version

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> tuple[str, int, dict[str, str]]:
    return f"hello from flask {version('flask')}\n", 200, {"Content-Type": "text/plain"}


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
