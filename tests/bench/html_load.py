"""How fast headless Chromium opens a report.html: the browser's own navigation timings.

    .venv/bin/python tests/bench/html_load.py REPORT.html [REPORT.html...] [--rounds 3]

For each file, a copy gets one small script appended (the report itself has none) that, after the
load event, writes the page's PerformanceNavigationTiming (responseEnd, domInteractive,
domContentLoadedEventEnd, loadEventEnd, in ms from the start of the navigation) and the first
contentful paint into the DOM; `chromium --headless=new --dump-dom` prints the DOM and the figures are
read back from it. The wall time and CPU time (user + system, every chromium process) of the whole
run (start-up included) are given too: on a busy machine the CPU time is the steadier figure.
Needs Debian's chromium (apt-get install -y chromium). Prints one JSON object per file, medians.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PROBE = """<script>
addEventListener('load', function () { setTimeout(function () {
  var n = performance.getEntriesByType('navigation')[0] || {};
  var fcp = performance.getEntriesByName('first-contentful-paint')[0];
  var out = document.createElement('output'); out.id = 'bench-timing';
  out.textContent = JSON.stringify({response_end: n.responseEnd, dom_interactive: n.domInteractive,
    dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
    first_contentful_paint: fcp ? fcp.startTime : null, elements: document.getElementsByTagName('*').length});
  document.body.appendChild(out);
}, 0); });
</script>"""
TIMING = re.compile(r'<output id="bench-timing">([^<]*)</output>')


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    sys.exit('chromium is missing: apt-get install -y chromium')


def measure_once(browser, path, profile):
    command = [browser, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
               '--user-data-dir=%s' % profile, '--run-all-compositor-stages-before-draw',
               '--dump-dom', 'file://' + path]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                            timeout=600, check=False).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = TIMING.search(output)
    if not match:
        raise RuntimeError('no timing in the DOM of %s (chromium printed %d characters)' % (path, len(output)))
    timing = json.loads(match.group(1).replace('&quot;', '"'))
    timing['chromium_wall_s'] = round(wall, 2)
    # CPU seconds of every chromium process: what the page costs, whatever else the machine is doing.
    timing['chromium_cpu_s'] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
    return timing


def measure(path, rounds):
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix='snapshot-doctor-html-') as work:
        copy = os.path.join(work, 'report.html')
        with open(path, encoding='utf-8') as source, open(copy, 'w', encoding='utf-8') as target:
            target.write(source.read().replace('</body></html>', PROBE + '</body></html>'))
        runs = [measure_once(browser, copy, os.path.join(work, 'profile-%d' % index)) for index in range(rounds)]
    result = {'file': path, 'bytes': os.path.getsize(path), 'rounds': rounds,
              'load_average_1min': round(os.getloadavg()[0], 1)}
    for key in runs[0]:
        values = [run[key] for run in runs if run[key] is not None]
        result[key] = round(statistics.median(values), 1) if values else None
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('files', nargs='+')
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    for path in args.files:
        print(json.dumps(measure(os.path.abspath(path), args.rounds)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
