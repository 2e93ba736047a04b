"""The run report in a real browser: headless Chromium opens the page from disk.

A copy of the page gets a probe script at the top of its head that records every
resource that failed to load and, once the page has loaded, the size of each
figure on the page; Chromium's --dump-dom hands the record back. A phone's
width is a frame of that width around the page, since headless Chromium's
window is never narrower than 500 px. No Python dependency: the Chromium command
line only (Debian's `chromium`, which bin/test installs when it can). Without it the test
fails, saying how to install it.
"""

import html
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

from tests.support.cli_runs import REPORT_FIGURES
from tests.support.cli_runs import report_page

pytestmark = pytest.mark.full

PROBE = """<script>
window.failedResources = [];
addEventListener('error', event => {
  if (event.target !== window) failedResources.push(event.target.outerHTML.slice(0, 120));
}, true);
addEventListener('load', () => {
  const figures = {};
  for (const figure of document.querySelectorAll('figure')) {
    const image = figure.querySelector('img');
    const box = image.getBoundingClientRect();
    figures[figure.id.replace('figure-', '')] = {
      width: box.width, height: box.height, decoded: image.complete && image.naturalWidth > 0};
  }
  const record = {failed: failedResources, figures: figures,
                  fetched: performance.getEntriesByType('resource').map(entry => entry.name),
                  pageWidth: document.documentElement.scrollWidth, windowWidth: innerWidth};
  const probe = document.createElement('pre');
  probe.id = 'probe';
  probe.textContent = JSON.stringify(record);
  document.body.appendChild(probe);
  if (parent !== window) parent.postMessage(probe.textContent, '*');
});
</script>"""


def _chromium() -> str:
  found = shutil.which('chromium') or shutil.which('chromium-browser')
  if found is None:
    pytest.fail('headless Chromium is needed for this test and was not found: '
                'apt-get install -y chromium (bin/test does so when run as root)')
  return found


def _open(page_path: str, width: int, height: int, *extra: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [_chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
       f'--window-size={width},{height}', '--virtual-time-budget=10000', *extra,
       f'file://{page_path}'],
      capture_output=True, text=True, timeout=120, check=False)


# The page in a frame of a phone's width; the probe posts its record up to here.
PHONE_FRAME = """<!doctype html><html><body style="margin:0">
<iframe src="index.html" style="border:0;width:{width}px;height:{height}px"></iframe>
<script>
addEventListener('message', event => {{
  const copy = document.createElement('pre');
  copy.id = 'probe';
  copy.textContent = event.data;
  document.body.appendChild(copy);
}});
</script></body></html>"""


@pytest.fixture(scope='module')
def probed_page(first_run, tmp_path_factory):
  """A copy of the first run's page with the probe at the top of its head."""
  _, result = first_run
  with open(report_page(result.stdout)) as f:
    page = f.read()
  path = tmp_path_factory.mktemp('browser') / 'index.html'
  path.write_text(page.replace('<head>', '<head>' + PROBE, 1))
  return path


@pytest.mark.parametrize('width,height', [(1280, 900), (390, 844)], ids=['desktop', 'phone'])
def test_the_page_loads_whole_and_every_figure_shows(probed_page, width, height):
  opened = probed_page
  if width < 500:
    opened = probed_page.parent / f'phone-{width}.html'
    opened.write_text(PHONE_FRAME.format(width=width, height=height))
  result = _open(str(opened), max(width, 1280), height, '--dump-dom')
  assert result.returncode == 0, result.stderr[-2000:]
  found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
  assert found, f'the probe did not run:\n{result.stdout[:2000]}\n{result.stderr[-2000:]}'
  record = json.loads(html.unescape(found.group(1)))
  assert record['failed'] == []
  assert record['fetched'] == []  # Self-contained: nothing loaded from anywhere.
  assert record['windowWidth'] == width
  assert record['pageWidth'] <= width  # No sideways scrolling, on a phone either.
  for name in REPORT_FIGURES:
    figure = record['figures'][name]
    assert figure['decoded'], name
    assert 0 < figure['width'] <= width and figure['height'] > 0, (name, figure)
  if width >= 1280:  # Two figures side by side, each still large enough to read.
    assert record['figures']['loss']['width'] >= 500


def test_a_screenshot_shows_the_page(probed_page, tmp_path):
  shot = tmp_path / 'report.png'
  result = _open(str(probed_page), 1280, 2400, f'--screenshot={shot}')
  assert result.returncode == 0, result.stderr[-2000:]
  with Image.open(shot) as image:
    assert image.size == (1280, 2400)
    colours = image.convert('L').getextrema()
  assert colours[0] < 64 and colours[1] > 200  # Ink on paper, not a blank page.
