#!/usr/bin/env bash
# Renders report.html files in headless Chromium at a 1280 px wide window and fails if
# anything is wider than the window: the page itself, or a table, figure, heading,
# paragraph or block of code that ends past its right edge.
#
#   scripts/report-check.sh output/default/report.html [WIDTH]
#
# Needs Chromium (Debian: apt-get install chromium). The report is loaded into an iframe
# of a page of this script's, which measures it once it has loaded and writes what it
# found into its own DOM, which Chromium prints (--dump-dom).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 REPORT.html [WIDTH]" >&2
  exit 2
fi
report=$(realpath "$1")
width=${2:-1280}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "report-check: no Chromium found (Debian: apt-get install chromium)" >&2
  exit 2
fi
test -f "$report" || { echo "report-check: no such file: $report" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/check.html" <<HTML
<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="r" src="file://$report" style="border:0;width:${width}px;height:900px"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById('r').addEventListener('load', () => {
  const doc = document.getElementById('r').contentDocument;
  const out = [];
  if (!doc) { out.push('cannot read the report (file access)'); }
  else {
    const root = doc.documentElement;
    const limit = root.clientWidth;
    if (root.scrollWidth > limit) out.push('the page is ' + root.scrollWidth + ' px wide, the window ' + limit + ' px');
    for (const el of doc.querySelectorAll('table, figure, svg, pre, nav, p, h1, h2, h3, dl')) {
      const right = el.getBoundingClientRect().right;
      if (right > limit + 0.5) {
        const name = el.id || (el.querySelector('th') || el).textContent.trim().slice(0, 40);
        out.push(el.tagName.toLowerCase() + ' "' + name + '" ends at ' + Math.round(right) + ' px');
      }
    }
    if (doc.querySelectorAll('table').length === 0) out.push('no table found: is this a report?');
  }
  document.getElementById('result').textContent = out.length ? 'OVERFLOW\n' + out.join('\n') : 'OK';
});
</script>
</body></html>
HTML

dom=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --allow-file-access-from-files \
  --window-size="$((width + 40)),1000" --virtual-time-budget=10000 \
  --dump-dom "file://$work/check.html" 2>/dev/null)
result=$(printf '%s' "$dom" | python3 -c 'import re,sys,html; m=re.search(r"<pre id=\"result\">(.*?)</pre>", sys.stdin.read(), re.S); print(html.unescape(m.group(1)) if m else "no result")')
case "$result" in
  OK) echo "report-check: $1 fits a ${width} px window"; exit 0 ;;
  *) echo "report-check: $1 at ${width} px:"; echo "$result"; exit 1 ;;
esac
