"""What the probes report (:class:`VideoInfo`, the GetLabelDetection ``VideoMetadata``) and how they
refuse a file (:class:`ProbeError`); shared by the MP4/MOV and AVI readers."""

from __future__ import annotations

from dataclasses import dataclass


class ProbeError(ValueError):
    """The bytes are not a video Rekognition Video could decode; the text becomes the StatusMessage."""


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    duration_ms: int
    format: str
    frame_rate: float
    width: int
    height: int
    color_range: str
    container: str  # "mp4" or "mov" (from the ftyp brand), or "avi"

    def metadata(self) -> dict[str, object]:
        """The GetLabelDetection ``VideoMetadata`` structure."""
        return {
            "Codec": self.codec,
            "DurationMillis": self.duration_ms,
            "Format": self.format,
            "FrameRate": self.frame_rate,
            "FrameHeight": self.height,
            "FrameWidth": self.width,
            "ColorRange": self.color_range,
        }
