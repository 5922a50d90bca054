"""The local AWS sandbox: moto's server (S3, SNS, SQS, IAM, STS, other Rekognition calls) plus our
emulator of Rekognition Video ``StartLabelDetection`` / ``GetLabelDetection``, on one loopback endpoint.

Cheap to import (moto loads in :meth:`Sandbox.start`); never imports PySide6.  Usage::

    from gui.sandbox import Sandbox

    with Sandbox(port=0, seed_demo=True, job_seconds=1.0) as sb:   # or sb.start() / sb.stop()
        boto3.client("rekognition", endpoint_url=sb.endpoint_url, region_name="us-east-1", ...)

Constructor: ``port=0, seed_demo=False, job_seconds=3.0, max_concurrent_jobs=20, fault_rate=0.0,
max_video_bytes=10 GiB, region="us-east-1"``; keyword-only ``fault_seed``, ``label_density``
(simulated detections per video second, default 10), ``detections_per_job`` (exact count),
``start_tps`` / ``get_tps`` (request-rate quotas; None: AWS's defaults, 0: off) and ``cors`` (off).
All of these but port/region/seed_demo/cors are attributes that can change at run time.

Content: ``create_bucket`` (optionally in another region), ``put_object``, ``fill_prefix`` (fast,
straight into moto), ``seed_demo`` (bucket ``demo-videos`` and a working notification role),
``create_notification_role``.  Observation: ``jobs()``, ``job_listing()`` (what ``GET /_sandbox/jobs``
serves), ``start_requests``, ``get_requests``, ``throttled``, ``faults_injected``, ``wait_for_jobs()``,
``account_id``.

Test hook: ``set_detection_script(bucket, key, detections)`` makes jobs started afterwards on that
object return exactly *detections* (GetLabelDetection ``Labels`` items: ``{"Timestamp": ms, "Label":
{"Name", "Confidence", optional "Instances"}}``; Categories/Aliases/Parents are filled from the
taxonomy when absent); MinConfidence and the filter lists are still applied.  ``None`` removes it.

Command line: ``python -m gui.sandbox --help``.
"""

from gui.sandbox.sandbox import Sandbox

__all__ = ["Sandbox"]
