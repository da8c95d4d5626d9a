// The page `weft learn --web` serves: static HTML and CSS. Everything it loads comes from the same local
// server (no CDN), so it works with no network at all. The import map lets the shared modules import
// 'ts-fsrs' by name, exactly as they do under Node.

export const IMPORT_MAP = JSON.stringify({ imports: { 'ts-fsrs': '/vendor/ts-fsrs.js' } });

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft learn</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/js/web/app.js"></script>
</head>
<body>
<header>
  <h1>weft learn</h1>
  <label>Module <select id="module">
    <option value="">all five</option>
  </select></label>
  <span id="summary" aria-live="polite"></span>
</header>
<main>
  <section id="study" aria-label="card">
    <p id="meta"></p>
    <h2 id="question">Loading the track...</h2>
    <ol id="options" type="a"></ol>
    <p><button id="reveal" disabled>Reveal the answer <kbd>Enter</kbd></button></p>
    <div id="answer" hidden>
      <p id="verdict"></p>
      <p id="explanation"></p>
      <p id="more">More: <a id="link" target="_blank" rel="noopener"></a></p>
      <p id="tryit" hidden>Try it with <code>weft demo</code> running: <code id="trycmd"></code></p>
      <p id="rate-label">How well did you recall it?</p>
      <div id="rate"></div>
    </div>
    <div id="done" hidden></div>
    <p class="keys">Keys: <kbd>a</kbd>-<kbd>e</kbd> pick an option, <kbd>Enter</kbd> reveal, <kbd>1</kbd>-<kbd>4</kbd> rate recall.</p>
  </section>
  <section id="standing" aria-label="progress">
    <h2>Where you stand</h2>
    <table id="stats"></table>
    <p id="totals"></p>
  </section>
  <section id="data" aria-label="your data">
    <h2>Your progress</h2>
    <p>Kept in this browser's local storage. Export it to study in the terminal (<code>weft learn import FILE</code>),
    or import the terminal's <code>~/.weft/learn/progress.json</code> here: reviews are merged, none is lost or counted twice.</p>
    <p><button id="export">Export progress</button>
    <label class="file">Import progress <input id="import" type="file" accept="application/json,.json"></label></p>
    <p id="message" role="status"></p>
  </section>
</main>
</body>
</html>
`;
}

export const PAGE_CSS = `
:root { font-family: system-ui, sans-serif; line-height: 1.45; color: #1d232a; background: #f7f7f4; }
body { margin: 0 auto; max-width: 52rem; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; border-bottom: 1px solid #ccc; }
h1 { font-size: 1.4rem; margin: .8rem 0; }
h2 { font-size: 1.15rem; }
section { margin-top: 1.2rem; }
#meta { color: #555; font-size: .9rem; }
#options { padding-left: 0; list-style: none; }
#options li { margin: .4rem 0; }
#options button { width: 100%; text-align: left; padding: .55rem .7rem; border: 1px solid #aab; border-radius: 6px; background: #fff; font: inherit; cursor: pointer; }
#options button[aria-pressed="true"] { border-color: #245; background: #e6eef7; }
#options button.right { border-color: #1a7f37; background: #dcf5e3; }
#options button.wrong { border-color: #b42318; background: #fde7e5; }
#options .letter { font-weight: bold; margin-right: .5rem; }
#verdict.right { color: #1a7f37; font-weight: bold; }
#verdict.wrong { color: #b42318; font-weight: bold; }
#rate button, #reveal, #export { font: inherit; padding: .4rem .8rem; margin-right: .4rem; border-radius: 6px; border: 1px solid #889; background: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
#options button:disabled { opacity: 1; color: #555; }
kbd, code { font-family: ui-monospace, monospace; font-size: .9em; background: #eceae4; padding: 0 .25rem; border-radius: 3px; }
.keys { color: #555; font-size: .85rem; }
table { border-collapse: collapse; }
th, td { padding: .2rem .6rem; text-align: right; }
th:first-child, td:first-child, th:last-child { text-align: left; }
td:first-child { white-space: nowrap; }
td.bloom { font-family: ui-monospace, monospace; text-align: left; letter-spacing: .05rem; }
label.file input { margin-left: .3rem; }
#message { min-height: 1.4rem; }
`;
