"""Papers benchmark: a township's bulk archive (GET /api/reports/archive.zip) — one PDF per recipient, streamed.

    .venv/bin/python bench/papers.py                      # 2,000 recipients, 10,000 visits with photos
    .venv/bin/python bench/papers.py --scale 0.1          # a tenth of that (a quick look)

It builds a migrated, demo-seeded SQLite database with one township of 20 villages, its recipients, their
visits (each with two photos, ≈ 60–120 KB JPEGs made with Pillow, and a PNG signature) and one difficulty
with a follow-up for every fifth recipient; then, in a fresh process (so the build's memory is not counted),
it downloads the township's archive as reviewer_demo through the Flask test client, reading the stream chunk
by chunk and throwing it away, while a thread samples the process's RSS every 50 ms.

Printed: recipients (= PDFs), PDF pages, MB streamed, seconds, PDF pages per second (wall, and per CPU-second of
the serving process, steadier on a shared machine), and the server's memory
growth (peak RSS during the download minus RSS after a warm-up PDF, which loads WeasyPrint and the font once).
Target: growth ≤ 150 MB. Nothing asserts a timing. Photos are drawn from a pool of 40 distinct images (as the
same bytes would be read from the store, the PDF engine embeds each once per document either way).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import random
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import app_for, logged_in  # noqa: E402  (bench/ is the script's folder: on sys.path)
from sqlalchemy import insert

RECIPIENTS, VISITS, VILLAGES, PHOTO_POOL = 2_000, 10_000, 20, 40


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_photo(rng: random.Random, index: int) -> bytes:
    """A photo-like JPEG (smooth gradients with noise: compresses like a real one, to ≈ 60–120 KB)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (1280, 960), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(120):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.ellipse((x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 300)),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((1280, 960), 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def build(url: str, instance: str, counts: dict) -> int:
    """The township and its records; answers the township's area id."""
    from flask_migrate import upgrade

    from server.cli import CATEGORIES, seed_demo
    from server.extensions import db
    from server.models import Area, Attachment, Difficulty, FollowUp, Recipient, User, Visit
    from server.services.areas import create_area
    from server.services.attachments import FileStore
    from tests.conftest import PNG_1PX

    app = app_for(url, instance)
    rng = random.Random(11)
    with app.app_context():
        upgrade()
        seed_demo()
        county = Area.query.filter_by(level="county").one()
        staff = User.query.filter_by(username="staff_demo").one()
        township = create_area("9700", "档案镇", "township", county.id, commit=False)
        villages = [create_area(f"9700{v:03d}", f"档案村{v}", "village", township.id, commit=False).id
                    for v in range(VILLAGES)]
        db.session.commit()
        store = FileStore(app.config["ATTACHMENTS_DIR"])
        now = datetime.now(UTC).replace(tzinfo=None)
        photos = []
        for index in range(PHOTO_POOL):
            data = make_photo(rng, index)
            sha = hashlib.sha256(data).hexdigest()
            store.put(sha, data)
            photos.append((sha, "image/jpeg", len(data)))
        signature = hashlib.sha256(PNG_1PX).hexdigest()
        store.put(signature, PNG_1PX)
        db.session.execute(insert(Attachment.__table__), [
            {"sha256": sha, "content_type": kind, "size": size, "uploader_id": staff.id, "created_at": now}
            for sha, kind, size in [*photos, (signature, "image/png", len(PNG_1PX))]])
        recipients = [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": f"档案对象{i}",
                       "gender": "male", "id_number": None, "phone": "13800000000", "address": "某村某号",
                       "area_id": villages[i % len(villages)], "category": rng.choice(CATEGORIES), "tags": [],
                       "notes": None, "created_by": staff.id, "created_at": now, "updated_at": now, "version": 1}
                      for i in range(counts["recipients"])]
        db.session.execute(insert(Recipient.__table__), recipients)
        visits = []
        for index in range(counts["visits"]):
            recipient = recipients[index % len(recipients)]
            at = now - timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 1440))
            visits.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           "recipient_id": recipient["id"], "author_id": staff.id, "area_id": recipient["area_id"],
                           "visited_at": at, "kind": rng.choice(["festival", "routine", "hardship"]),
                           "occasion": "春节慰问", "participants": "李晓红、王建军", "gifts": "米、油",
                           "cash_cents": 50000, "notes": "老人身体状况良好，家中整洁，子女常回家看望。" * 3,
                           "location": {"lat": 30.1, "lng": 120.2, "accuracy_m": 12},
                           "photos": [p[0] for p in rng.sample(photos, 2)], "signature": signature,
                           "no_signature_reason": None, "status": "approved", "review_comment": None,
                           "reviewed_by": None, "reviewed_at": None, "created_at": at, "updated_at": at,
                           "version": 1})
        for start in range(0, len(visits), 5000):
            db.session.execute(insert(Visit.__table__), visits[start:start + 5000])
        difficulties, follow_ups = [], []
        for recipient in recipients[::5]:
            did = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            difficulties.append({"id": did, "recipient_id": recipient["id"], "visit_id": None,
                                 "author_id": staff.id, "area_id": recipient["area_id"], "category": "medical",
                                 "description": "看病难，需要轮椅", "urgency": "normal", "status": "in_progress",
                                 "status_changed_at": now,
                                 "assignee_id": None, "responsible_unit": "县民政局", "due_date": None,
                                 "follow_up_at": now + timedelta(days=7), "resolved_at": None, "created_at": now,
                                 "updated_at": now, "version": 1})
            follow_ups.append({"id": str(uuid.uuid4()), "difficulty_id": did, "author_id": staff.id,
                               "area_id": recipient["area_id"], "at": now, "note": "已联系残联",
                               "status": "in_progress", "next_follow_up_at": now + timedelta(days=7),
                               "created_at": now, "version": 1})
        if difficulties:
            db.session.execute(insert(Difficulty.__table__), difficulties)
            db.session.execute(insert(FollowUp.__table__), follow_ups)
        db.session.commit()
        township_id = township.id
        db.session.remove()
        db.engine.dispose()
    return township_id


def measure(url: str, instance: str, township_id: int, total: int, answer) -> None:
    """In a fresh process: warm up with one recipient's PDF, then stream the township's ZIP; report figures."""
    from server.services import papers

    app = app_for(url, instance)
    client, _ = logged_in(app, "reviewer_demo")
    with app.app_context():
        first = client.get(f"/api/reports/archive.zip?area={township_id}")
        next(iter(first.response))  # the first PDF: WeasyPrint, Pango and the font are loaded
        first.close()
    baseline = rss_mb()
    peak = [baseline]
    running = True

    def sample():
        while running:
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    pages: list[int] = []
    original = papers.archive_pdf

    curve: list[tuple[int, float]] = []

    def counted(*args, **kwargs):
        pdf = original(*args, **kwargs)
        pages.append(pdf.pages)
        if len(pages) % max(1, total // 10) == 0:
            curve.append((len(pages), round(rss_mb() - baseline, 1)))
            print(f"after {len(pages)} PDFs: RSS +{curve[-1][1]:.0f} MB", flush=True)
        return pdf

    papers.archive_pdf = counted
    streamed = chunks = 0
    started, cpu = time.perf_counter(), time.process_time()
    with app.app_context():
        response = client.get(f"/api/reports/archive.zip?area={township_id}")
        assert response.status_code == 200 and response.is_streamed
        for chunk in response.response:
            streamed += len(chunk)
            chunks += 1
        response.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    running = False
    sampler.join()
    answer.send({"pdfs": len(pages), "pages": sum(pages), "mb": streamed / 1e6, "chunks": chunks,
                 "seconds": seconds, "cpu_seconds": cpu, "baseline_mb": baseline, "peak_mb": peak[0],
                 "growth_curve": curve})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the record counts (default 1: 2,000 "
                                                                 "recipients and 10,000 visits)")
    args = parser.parse_args()
    counts = {"recipients": max(1, int(RECIPIENTS * args.scale)), "visits": max(1, int(VISITS * args.scale))}
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="zf-papers-") as tmp:
        url = f"sqlite:///{tmp}/papers.db"
        started = time.perf_counter()
        township_id = build(url, tmp, counts)
        print(f"generated {counts['recipients']} recipients, {counts['visits']} visits with 2 photos and a "
              f"signature each in {time.perf_counter() - started:.1f} s")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=measure, args=(url, tmp, township_id, counts["recipients"], send))
        process.start()
        figures = receive.recv()
        process.join()
    growth = figures["peak_mb"] - figures["baseline_mb"]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))
    print(f"bulk archive: {figures['pdfs']} PDFs, {figures['pages']} pages, {figures['mb']:.1f} MB streamed in "
          f"{figures['chunks']} chunks, {figures['seconds']:.1f} s → {figures['pages'] / figures['seconds']:.1f} "
          f"PDF pages/s ({figures['pdfs'] / figures['seconds']:.1f} PDFs/s); CPU {figures['cpu_seconds']:.1f} s → "
          f"{figures['pages'] / figures['cpu_seconds']:.1f} pages per CPU-second (steadier on a busy machine)")
    flag = "" if growth <= 150 else "  > 150 MB target"
    print(f"server memory: {figures['baseline_mb']:.0f} MB after warm-up, peak {figures['peak_mb']:.0f} MB, "
          f"growth {growth:.0f} MB{flag}")
    print("RSS growth after n PDFs (n, MB): " + ", ".join(f"({n}, {mb:.0f})" for n, mb in figures["growth_curve"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
