"""Write rendered animation frames to GIF (Pillow, always available) or MP4 (needs ffmpeg)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def ffmpeg_available() -> bool:
    """True when an ``ffmpeg`` executable is on PATH (MP4 export needs it)."""
    return shutil.which("ffmpeg") is not None


def available_formats() -> list[str]:
    """File suffixes the animation can be exported to here."""
    return [".gif", ".mp4"] if ffmpeg_available() else [".gif"]


def write_gif(images: Sequence[np.ndarray], path: str | Path, fps: float = 10.0) -> Path:
    """Images (H, W, 3) uint8 RGB, all the same size, as an endlessly looping GIF."""
    from PIL import Image

    if not images:
        raise ValueError("no frames to write")
    path = Path(path)
    frames = [Image.fromarray(np.asarray(img, dtype=np.uint8)) for img in images]
    frames[0].save(
        path,
        save_all=True,
        append_images=frames[1:],
        loop=0,
        duration=max(20, int(1000 / fps)),
        optimize=False,
    )
    return path


def write_mp4(images: Sequence[np.ndarray], path: str | Path, fps: float = 10.0) -> Path:
    """Images as an H.264 MP4 through ffmpeg; RuntimeError when ffmpeg is missing or fails."""
    if not images:
        raise ValueError("no frames to write")
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("MP4 export needs ffmpeg, which is not installed; export a GIF instead")
    path = Path(path)
    h, w = images[0].shape[:2]
    h2, w2 = h - h % 2, w - w % 2  # yuv420p needs even sizes
    cmd = [
        exe,
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w2}x{h2}",
        "-r",
        str(fps),
        "-i",
        "-",
        "-pix_fmt",
        "yuv420p",
        str(path),
    ]
    data = b"".join(
        np.ascontiguousarray(img[:h2, :w2, :3], dtype=np.uint8).tobytes() for img in images
    )
    done = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')[:300]}")
    return path


def write_animation(images: Sequence[np.ndarray], path: str | Path, fps: float = 10.0) -> Path:
    """GIF or MP4 by the suffix of ``path``; ValueError for other suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return write_gif(images, path, fps)
    if suffix == ".mp4":
        return write_mp4(images, path, fps)
    raise ValueError(f"cannot write an animation as '{suffix}'; use .gif or .mp4")
