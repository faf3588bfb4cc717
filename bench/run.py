"""Server time per page on a database of a given size, on SQLite and PostgreSQL, and Datasette.

    .venv/bin/python bench/run.py --sqlite bench/data/large.sqlite3 \
        --postgres postgres://postgres@127.0.0.1:5432/diplomacy_bench [--repeat 30] [--datasette]

For each database a worker process (production settings: DEBUG off, plain HTTP) requests every
page through Django's test client, in process, so the time is the server's alone: two warm-up
requests, then `--repeat` timed ones; it reports the median and the 95th percentile, and the
number of SQL queries of one request. With `--datasette`, the same filtered listings are then
requested over loopback HTTP from Datasette serving the SQLite file and from this app under
gunicorn (one worker), so the ratio compares like with like. Results print as Markdown tables;
`--json FILE` keeps them. See bench/README.md.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / "bench" / ".venv"
SLOW = 2.0  # seconds: a page slower than this on its first request is timed once only


def percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def production_environment(database_url):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY") or "benchmark-only-secret-key-not-for-production",
        HTTPS="0",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def database_url(value):
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).resolve()}"


# Worker: runs inside Django ------------------------------------------------------------------


def targets():
    """The pages to time, chosen from the data: the busiest pair, the commonest topic, ..."""
    from django.db import connection
    from django.db.models import Count

    from agreements.models import Commitment, Leader, Meeting, Topic

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.country_id, b.country_id FROM agreements_meeting_countries a "
            "JOIN agreements_meeting_countries b ON a.meeting_id = b.meeting_id "
            "AND a.country_id < b.country_id GROUP BY a.country_id, b.country_id "
            "ORDER BY count(*) DESC, a.country_id, b.country_id LIMIT 1"
        )
        a, b = (code.lower() for code in cursor.fetchone())
    topic = (
        Topic.objects.annotate(n=Count("commitments"))
        .order_by("-n", "slug")
        .values_list("slug", flat=True)[0]
    )
    pair = f"country={a}&country={b}"
    # A filtered list of about 1,000 commitments for the CSV download.
    best = None
    for status in ("announced", "in-progress", "fulfilled", "lapsed", ""):
        for slug in Topic.objects.order_by("slug").values_list("slug", flat=True):
            rows = Commitment.objects.between(a.upper(), b.upper()).filter(topic=slug)
            if status:
                rows = rows.filter(status=status)
            count = rows.count()
            if best is None or abs(count - 1000) < abs(best[0] - 1000):
                best = (count, slug, status)
    _count, csv_topic, csv_status = best
    csv_query = f"{pair}&topic={csv_topic}" + (f"&status={csv_status}" if csv_status else "")
    meeting = Meeting.objects.annotate(n=Count("commitments")).order_by("-n", "-date", "slug").first()
    commitment = (
        Commitment.objects.filter(status="fulfilled").order_by("-id").first() or Commitment.objects.last()
    )
    leader = Leader.objects.annotate(n=Count("meetings")).order_by("-n", "slug").first()
    return [
        ("home", "/"),
        ("meetings, unfiltered", "/meetings/"),
        ("meetings of a pair", f"/meetings/?{pair}"),
        ("meetings, text search", "/meetings/?q=critical+minerals"),
        ("meetings of a country", f"/meetings/?country={a}"),
        ("commitments, text search (a rare word)", "/commitments/?q=tokyo"),
        ("site search", "/search/?q=critical+minerals"),
        ("site search, a country's everyday name or a phrase", "/search/?q=UK+OR+%22joint+statement%22"),
        ("commitments of a country", f"/commitments/?country={a}"),
        ("commitments of a topic", f"/commitments/?topic={topic}"),
        (
            "commitments: topic, status, pair, dates",
            f"/commitments/?topic={topic}&status=in-progress&{pair}&date_after=2015-01-01&date_before=2024-12-31",
        ),
        ("commitments CSV (~1,000 rows)", f"/commitments/?{csv_query}&format=csv"),
        ("meeting page", meeting.get_absolute_url()),
        ("commitment page", commitment.get_absolute_url()),
        ("pair page", f"/relations/{a}-{b}/"),
        ("country page", f"/countries/{a}/"),
        ("leader page", leader.get_absolute_url()),
        ("topic page", f"/topics/{topic}/"),
        ("pair scorecard", f"/relations/{a}-{b}/follow-through/"),
        ("country scorecard", f"/countries/{a}/follow-through/"),
        ("topic scorecard", f"/topics/{topic}/follow-through/"),
    ]


def fetch(client, url):
    response = client.get(url)
    size = len(b"".join(response.streaming_content)) if response.streaming else len(response.content)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return size


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def write_one(n):
    """One editor's save: a commitment's detail changed, which gives the record a new version."""
    from agreements.models import Commitment

    commitment = Commitment.objects.order_by("-id")[n % 50]
    commitment.detail = f"Benchmark write {n}"
    commitment.save(update_fields=["detail", "updated_at"])


def worker(repeat, writes, pages=""):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from agreements.models import Commitment, Meeting

    client = Client()
    results = {
        "vendor": connection.vendor,
        "meetings": Meeting.objects.count(),
        "commitments": Commitment.objects.count(),
        "pages": [],
    }
    for name, url in targets():
        if pages not in name:
            continue
        started = time.perf_counter()
        fetch(client, url)
        first = time.perf_counter() - started
        after_write = []
        for n in range(writes if first <= SLOW else 0):
            write_one(n)
            started = time.perf_counter()
            fetch(client, url)
            after_write.append((time.perf_counter() - started) * 1000)
        if first <= SLOW:
            fetch(client, url)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            size = fetch(client, url)
        times = []
        for _ in range(1 if first > SLOW else repeat):
            started = time.perf_counter()
            fetch(client, url)
            times.append((time.perf_counter() - started) * 1000)
        results["pages"].append(
            {
                "name": name,
                "url": url,
                "first_ms": first * 1000,
                "after_write_ms": percentile(after_write, 0.95) if after_write else first * 1000,
                "writes": len(after_write),
                "median_ms": statistics.median(times),
                "p95_ms": percentile(times, 0.95),
                "runs": len(times),
                "queries": counter.count,
                "bytes": size,
            }
        )
        print(f"  {name}: {statistics.median(times):.1f} ms", file=sys.stderr)
    print(json.dumps(results))


# Datasette comparison: both servers over loopback HTTP ---------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def time_http(url, repeat):
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}")
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "p95_ms": percentile(times, 0.95), "url": url}


def datasette_comparison(sqlite_path, repeat, topic, status):
    """The same filtered listings from Datasette and from the app under gunicorn, over HTTP."""
    name = Path(sqlite_path).stem
    ds_port, app_port = free_port(), free_port()
    env = production_environment(database_url(sqlite_path))
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    servers = [
        subprocess.Popen(
            [str(BENCH_VENV / "bin" / "datasette"), "serve", str(sqlite_path), "--port", str(ds_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "bench.wsgi",
                "--bind",
                f"127.0.0.1:{app_port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_for(f"http://127.0.0.1:{ds_port}/")
        wait_for(f"http://127.0.0.1:{app_port}/bench/ceiling/")
        listings = [
            (
                "meetings of one kind in a date range",
                "/meetings/?kind=phone-call&date_after=2015-01-01&date_before=2024-12-31",
                f"/{name}/agreements_meeting?kind=phone-call&date__gte=2015-01-01&date__lte=2024-12-31"
                "&_sort_desc=date&_facet=kind",
            ),
            (
                "commitments of a topic and status",
                f"/commitments/?topic={topic}&status={status}",
                f"/{name}/agreements_commitment?topic_id={topic}&status={status}"
                "&_sort_desc=id&_facet=topic_id&_facet=status",
            ),
        ]
        rows = []
        for label, app_url, ds_url in listings:
            app = time_http(f"http://127.0.0.1:{app_port}{app_url}", repeat)
            datasette = time_http(f"http://127.0.0.1:{ds_port}{ds_url}", repeat)
            rows.append({"listing": label, "app": app, "datasette": datasette})
        return rows
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


# Orchestration ------------------------------------------------------------------------------


def run_worker(url, repeat, writes, pages):
    options = {"--repeat": repeat, "--writes": writes, "--pages": pages}
    process = subprocess.run(
        [sys.executable, __file__, "--worker", *(str(part) for pair in options.items() for part in pair)],
        env={**production_environment(url), "DJANGO_SETTINGS_MODULE": "diplomacy.settings"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(process.stdout.strip().splitlines()[-1])


def table(results):
    header = ["page"]
    for result in results:
        label = result["vendor"]
        header += [
            f"{label} median ms",
            f"{label} p95 ms",
            f"{label} after a write p95 ms",
            f"{label} queries",
        ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, page in enumerate(results[0]["pages"]):
        cells = [page["name"]]
        for result in results:
            row = result["pages"][index]
            cells += [
                f"{row['median_ms']:.1f}",
                f"{row['p95_ms']:.1f}",
                f"{row['after_write_ms']:.0f}",
                str(row["queries"]),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", help="SQLite file to benchmark")
    parser.add_argument("--postgres", help="PostgreSQL URL to benchmark")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--writes", type=int, default=5, help="writes, each followed by one timed request (default 5)"
    )
    parser.add_argument("--pages", default="", help='only the pages whose name contains this ("scorecard")')
    parser.add_argument("--datasette", action="store_true", help="also time Datasette on the SQLite file")
    parser.add_argument("--json", help="write the results to this file as well")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        worker(args.repeat, args.writes, args.pages)
        return
    results = []
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        env=production_environment("sqlite://:memory:"),
        cwd=ROOT,
        check=True,
    )
    for url in filter(None, [args.sqlite and database_url(args.sqlite), args.postgres]):
        print(f"Timing {url.split('@')[-1]} ...", file=sys.stderr)
        results.append(run_worker(url, args.repeat, args.writes, args.pages))
    if not results:
        parser.error("give --sqlite FILE and/or --postgres URL")
    sizes = ", ".join(
        f"{r['vendor']}: {r['meetings']} meetings, {r['commitments']} commitments" for r in results
    )
    print(f"\nServer time per request, warm, {args.repeat} requests each ({sizes})\n")
    print(table(results))
    print("\nURLs:\n")
    for page in results[0]["pages"]:
        print(f"- {page['name']}: `{page['url']}`")
    output = {"databases": results}
    if args.datasette:
        if not args.sqlite:
            parser.error("--datasette needs --sqlite")
        topic = results[0]["pages"][4]["url"].split("topic=")[1].split("&")[0]
        rows = datasette_comparison(args.sqlite, args.repeat, topic, "in-progress")
        output["datasette"] = rows
        print("\nThe same filtered listing over loopback HTTP (client time, app under gunicorn, 1 worker)\n")
        print(
            "| listing | app median ms | app p95 ms | Datasette median ms | Datasette p95 ms | ratio (p95) |"
        )
        print("|---|---|---|---|---|---|")
        for row in rows:
            app, ds = row["app"], row["datasette"]
            print(
                f"| {row['listing']} | {app['median_ms']:.1f} | {app['p95_ms']:.1f} | "
                f"{ds['median_ms']:.1f} | {ds['p95_ms']:.1f} | {ds['p95_ms'] / app['p95_ms']:.1f}× faster |"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
