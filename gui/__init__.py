"""Rekognition Video Labeler: a desktop app for Amazon Rekognition Video label detection.

Layers (enforced by tests/test_layering.py):
- ``gui.core``    AWS access, filters, presets, job store, results: no Qt.
- ``gui.sandbox`` the local AWS used by demo mode, tests and benchmarks: no Qt.
- ``gui.qt``      widgets, models and workers that adapt the core.
"""

__version__ = "0.1.0"
APP_NAME = "Rekognition Video Labeler"
APP_ID = "rekognition-video-labeler"
