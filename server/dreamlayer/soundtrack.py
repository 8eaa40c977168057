"""Keeping a video's sound: the dreamed film gets its source's audio track, copied as it is where the film's
container can hold that codec, and re-encoded (AAC in MP4, Opus in WebM) where it can't. GIF, WebP and frame
folders have no sound."""

from __future__ import annotations

from pathlib import Path

import av

# The audio codecs each film container takes as they are, and what others are re-encoded to.
_KEEPS = {".mp4": ("aac", "mp3", "alac", "opus"), ".webm": ("opus", "vorbis")}
_ENCODER = {".mp4": "aac", ".webm": "libopus"}


def add_soundtrack(film: Path, source: Path) -> str | None:
    """Put ``source``'s first audio track into ``film`` (rewritten in place), cut to the film's length.

    Returns None when done or when there is no sound to keep; otherwise a note saying why the sound was left out.
    """
    with av.open(str(source)) as src:
        if not src.streams.audio:
            return None
        suffix = film.suffix.lower()
        if suffix not in _KEEPS:
            return f"{suffix or 'a folder of frames'} has no sound, so the source's sound was left out."
        audio_in = src.streams.audio[0]
        scratch = film.with_name(f".{film.stem}.sound{film.suffix}")
        with av.open(str(film)) as pictures, av.open(str(scratch), "w") as out:
            video_in = pictures.streams.video[0]
            video_out = out.add_stream_from_template(video_in)
            length = float(video_in.duration * video_in.time_base) if video_in.duration else float(pictures.duration or 0) / av.time_base
            copy = audio_in.codec_context.name in _KEEPS[suffix]
            audio_out = out.add_stream_from_template(audio_in) if copy else out.add_stream(_ENCODER[suffix], rate=48000)
            _copy_packets(pictures.demux(video_in), video_out, out)
            if copy:
                _copy_packets(src.demux(audio_in), audio_out, out, until=length)
            else:
                _encode(src.decode(audio_in), audio_out, out, until=length)
        scratch.replace(film)
    return None


def _copy_packets(packets, stream, out, until: float | None = None) -> None:
    for packet in packets:
        if packet.dts is None:
            continue  # the demuxer's empty end-of-stream packet
        if until is not None and packet.pts is not None and float(packet.pts * packet.time_base) > until:
            break
        packet.stream = stream
        out.mux(packet)


def _encode(frames, stream, out, until: float) -> None:
    for frame in frames:
        if frame.time is not None and frame.time > until:
            break
        frame.pts = None  # the encoder's own timeline, at its own rate
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
