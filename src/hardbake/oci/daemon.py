"""docker-daemon: images in the local Docker engine, through the Engine API (docker SDK).

`write` streams a docker-archive of the image (gzip layers, built on the fly: nothing is
staged on disk) into `POST /images/load` and checks that the engine now has the image under
its name with the expected ID (the config digest). Docker 20.10 cannot load zstd layers, so
a zstd layer is recompressed to gzip first. `read` streams `GET /images/{name}/get` into a
temporary file and reads it as a docker-archive, members in place; the image owns that
file until closed.

The engine is passed in (a `docker.DockerClient`); `connect()` makes one from the
environment (DOCKER_HOST or the local socket) and says how to start one if none answers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hardbake.errors import Error, ToolMissing
from hardbake.oci import archive
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image
from hardbake.oci.reference import RegistryRef


def connect(timeout: int = 300) -> Any:
    """A docker SDK client that has answered a ping, or ToolMissing with what to do."""
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as e:  # the SDK raises several unrelated types for "no engine"
        raise ToolMissing(
            f"no Docker engine answers ({e})",
            hint="start dockerd (scripts/docker-up) or point DOCKER_HOST at a running engine",
        ) from e
    return client


def _name(ref: RegistryRef) -> str:
    if ref.tag is None:
        raise ImageError(f"docker-daemon:{ref.familiar}: loading an image needs NAME:TAG, not a digest")
    return ref.familiar


def write(image: Image, ref: RegistryRef, *, engine: Any, tmp_dir: Path | None = None) -> str:
    """Load `image` into the engine as `ref` (NAME:TAG); returns the engine's image ID."""
    import docker.errors
    import requests

    name = _name(ref)
    expected = str(image.config_digest())
    try:
        engine.images.load(archive.stream(image, tags=[name], tmp_dir=tmp_dir))
        loaded = engine.images.get(name)
    except Error:
        raise
    except (docker.errors.ImageLoadError, docker.errors.APIError) as e:
        raise ImageError(f"the Docker engine refused {image} as {name}: {e}") from e
    except requests.exceptions.RequestException as e:
        raise ToolMissing(f"the Docker engine did not answer while loading {name}: {e}") from e
    image_id: str = loaded.id
    if image_id != expected:
        raise ImageError(f"the engine holds {name} as {image_id}, expected {expected}")
    return image_id


def read(ref: RegistryRef, *, engine: Any, tmp_dir: Path | None = None) -> Image:
    """The image `ref` from the engine, saved to a temporary file the image owns."""
    import docker.errors
    import requests

    name = ref.familiar
    label = f"docker-daemon:{name}"
    try:
        found = engine.images.get(name)
    except docker.errors.ImageNotFound:
        raise ImageError(
            f"{label}: no such image in the Docker engine", hint="`docker images` lists them"
        ) from None
    except docker.errors.APIError as e:
        raise ImageError(f"{label}: the engine refused ({e})") from e
    except requests.exceptions.RequestException as e:
        raise ToolMissing(f"{label}: the Docker engine did not answer ({e})") from e
    owned = tempfile.TemporaryDirectory(prefix="hardbake-daemon-", dir=tmp_dir)
    try:
        path = Path(owned.name) / "image.tar"
        with open(path, "wb") as f:
            # by ID: the archive then holds exactly this image, whatever its tags
            for chunk in engine.api.get_image(found.id, chunk_size=1 << 20):
                f.write(chunk)
        image = archive.read(path, owns=owned, label=label)
    except BaseException as e:
        owned.cleanup()
        if isinstance(e, requests.exceptions.RequestException | docker.errors.APIError):
            raise ImageError(f"{label}: saving from the engine failed ({e})") from e
        raise
    if str(image.config_digest()) != found.id:
        image.close()
        raise ImageError(f"{label}: the engine saved config {image.config_digest()}, not {found.id}")
    return image
