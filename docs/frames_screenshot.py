"""Screenshot of the results window with the frame view (README, docs/frames.png).

Run under a display: ``xvfb-run -a .venv/bin/python docs/frames_screenshot.py [WIDTHxHEIGHT] [out.png]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    size = sys.argv[1] if len(sys.argv) > 1 else "1280x820"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/frames.png")
    width, height = (int(v) for v in size.split("x"))
    import boto3
    from PySide6.QtWidgets import QApplication

    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore
    from gui.qt.frame_view import frames_pool
    from gui.qt.results_window import ResultsView, ResultsWindow
    from gui.sandbox import Sandbox

    app = QApplication.instance() or QApplication([])
    with Sandbox(port=0, seed_demo=True, job_seconds=0.2) as sb, tempfile.TemporaryDirectory() as tmp:
        def client(service: str, region: str | None = None) -> object:
            return boto3.client(service, region_name=region or "us-east-1", endpoint_url=sb.endpoint_url,
                                aws_access_key_id="demo", aws_secret_access_key="demo")

        rekognition = client("rekognition")
        job_id = rekognition.start_label_detection(
            Video={"S3Object": {"Bucket": "demo-videos", "Name": "city/city-traffic.mp4"}})["JobId"]
        while rekognition.get_label_detection(JobId=job_id, MaxResults=1)["JobStatus"] == "IN_PROGRESS":
            time.sleep(0.1)
        store = ResultsStore(Path(tmp) / "results.sqlite3")
        fetch_and_store(rekognition, job_id, store)
        view = ResultsView(store, job_id, video_uri="s3://demo-videos/city/city-traffic.mp4", client_factory=client)
        window = ResultsWindow(view)
        window.resize(width, height)
        window.show()
        view.start()

        def spin(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.01)

        spin(2.0)
        labels = view.timeline.visible_labels()
        boxed = next((i for i in range(view.summaryProxy.rowCount())
                      if view.summaryProxy.index(i, 0).data() in {"Car", "Building", "Person", "Bus", "Truck"}), 0)
        view.summaryTable.selectRow(boxed)
        spin(2.5)
        print("labels", len(labels), "frame", view.frameView.timeLabel.text(), view.frameView.messageLabel.text())
        window.grab().save(str(out))
        print("wrote", out)
        window.close()
        deadline = time.monotonic() + 10
        while not view.shutdown(0.0) and time.monotonic() < deadline:
            spin(0.05)
        frames_pool().waitForDone(10_000)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
