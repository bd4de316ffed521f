// Runs one musicrep notebook through the JupyterLab UI in Debian's chromium and checks what the analyst sees.
//
// Usage: node tests/browser/run-notebook.mjs [NOTEBOOK] [SELECTOR]
//   NOTEBOOK  a file in notebooks/, "all" for every notebooks/*.ipynb in order, in one JupyterLab (empty: default
//             03-evaluate.ipynb; if that does not exist, 00-smoke.ipynb, else the first notebooks/*.ipynb)
//   SELECTOR  a CSS selector that must be visible in the cell outputs (empty: default table.musicrep-table; with
//             "all", checked in the notebooks that have one)
// Environment: MUSICREP_BROWSER_TIMEOUT (seconds per notebook, default 900), MUSICREP_CHROMIUM (default
// /usr/bin/chromium). Run it through scripts/browser-test.sh, which installs what it needs first.
//
// Steps: start JupyterLab from .venv on a free 127.0.0.1 port with a random token and temporary runtime,
// config, settings and workspace dirs; open the notebook; Run → Run All Cells; wait until no cell is queued or
// running and the kernel is idle; then check:
//   1. every code cell has an execution count (a cell skipped after an earlier error has none);
//   2. no cell output shows an error. An output is an error when it is
//      a. a GoNB error report: an HTML output containing .jp-RenderedText[data-mime-type=
//         "application/vnd.jupyter.stderr"] (GoNB renders compile errors and panic locations this way), or
//      b. stderr-rendered text (.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]: stderr
//         streams and Jupyter error outputs) matching ERROR_TEXT below (Go panics, fatal errors, compiler
//         errors "file.go:L:C: ...", non-zero "exit status", GoNB's "ERROR: ..." tracebacks).
//      Other stderr text (logs, warnings, progress bars) is allowed and only counted;
//   3. SELECTOR is visible inside a cell output;
//   3b. every code cell shows the outputs recorded in its metadata (musicrep.outputs, or musicrep.outputs_small with
//      MUSICREP_NB_SMALL=1; written by scripts/nbrun.py --record): the displays (html, markdown, svg, png, ...) in
//      order and the same set of streams (stdout, stderr) -- a lost display fails the test;
//   4. every network request the page made (HTTP, WebSocket) went to 127.0.0.1/localhost; others are blocked
//      and listed.
// Outputs: out/browser/<notebook>.png (screenshot of SELECTOR's output; <notebook>-failure.png on failure),
// out/browser/<notebook>/cell-NN.png (every code cell with its outputs, to look at), <notebook>-requests.txt
// (every request), jupyter.log. JupyterLab is shut down in every case.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NOTEBOOKS = path.join(ROOT, "notebooks");
const VENV = path.join(ROOT, ".venv");
const OUT = path.join(ROOT, "out", "browser");
const CHROMIUM = process.env.MUSICREP_CHROMIUM || "/usr/bin/chromium";
const TOTAL_TIMEOUT_S = Number(process.env.MUSICREP_BROWSER_TIMEOUT || 900);
const ERROR_TEXT =
  /\bpanic: |\bfatal error: |goroutine \d+ \[|^\s*exit status [1-9]|^\s*ERROR\b|\.go:\d+:\d+: /m;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (msg) => console.log(`[browser-test ${secs().padStart(6)} s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class TestFailure extends Error {}

function pickNotebooks(arg) {
  if (arg === "all") {
    const all = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();
    if (!all.length) throw new TestFailure("no notebooks/*.ipynb");
    return all;
  }
  return [pickNotebook(arg)];
}

function pickNotebook(arg) {
  if (arg) {
    const name = path.basename(arg);
    if (!fs.existsSync(path.join(NOTEBOOKS, name))) throw new TestFailure(`no such notebook: notebooks/${name}`);
    return name;
  }
  for (const name of ["03-evaluate.ipynb", "00-smoke.ipynb"]) {
    if (fs.existsSync(path.join(NOTEBOOKS, name))) return name;
  }
  const all = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();
  if (!all.length) throw new TestFailure("no notebooks/*.ipynb");
  return all[0];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function isLocal(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (["data:", "blob:", "about:"].includes(u.protocol)) return true;
  return LOCAL_HOSTS.has(u.hostname);
}

// --- JupyterLab server ---------------------------------------------------------------------------------------
class Lab {
  constructor() {
    this.proc = null;
    this.exited = null;
  }

  async start() {
    const jupyter = path.join(VENV, "bin", "jupyter");
    if (!fs.existsSync(jupyter)) throw new TestFailure(`${jupyter} missing: run scripts/setup-lab.sh`);
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicrep-browser-"));
    const dir = (d) => {
      fs.mkdirSync(path.join(this.tmp, d), { recursive: true });
      return path.join(this.tmp, d);
    };
    const settings = dir("settings");
    const writeSettings = (plugin, file, value) => {
      fs.mkdirSync(path.join(settings, plugin), { recursive: true });
      fs.writeFileSync(path.join(settings, plugin, file), JSON.stringify(value));
    };
    // All cells in the DOM (no virtualisation), no news/update fetches from the page.
    writeSettings("@jupyterlab/notebook-extension", "tracker.jupyterlab-settings", { windowingMode: "none" });
    // Never write the executed notebook back into notebooks/ (autosave would, during long runs).
    writeSettings("@jupyterlab/docmanager-extension", "plugin.jupyterlab-settings", { autosave: false });
    writeSettings("@jupyterlab/apputils-extension", "notification.jupyterlab-settings", {
      fetchNews: "false",
      checkForUpdates: false,
    });
    this.port = await freePort();
    this.token = crypto.randomBytes(24).toString("hex");
    this.base = `http://127.0.0.1:${this.port}`;
    const env = {
      ...process.env,
      PATH: `${path.join(ROOT, ".cache", "bin")}:${path.join(VENV, "bin")}:${process.env.PATH}`,
      JUPYTER_PATH: [path.join(VENV, "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(":"),
      JUPYTER_RUNTIME_DIR: dir("runtime"),
      JUPYTER_CONFIG_DIR: dir("config"),
      JUPYTERLAB_SETTINGS_DIR: settings,
      JUPYTERLAB_WORKSPACES_DIR: dir("workspaces"),
      GOTOOLCHAIN: process.env.GOTOOLCHAIN || "go1.27.3",
      GOMLX_BACKEND: process.env.GOMLX_BACKEND || "go",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    };
    const args = [
      "lab",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${this.port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${this.token}`,
      `--ServerApp.root_dir=${NOTEBOOKS}`,
      "--MultiKernelManager.default_kernel_name=gonb",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      "--LabApp.extension_manager=readonly",
      "--LabApp.news_url=None",
      // Checkpoints (written when a notebook is opened) go to the temporary dir, not notebooks/.ipynb_checkpoints.
      `--FileCheckpoints.checkpoint_dir=${dir("checkpoints")}`,
    ];
    if (process.getuid?.() === 0) args.push("--allow-root"); // CI runs as root
    fs.mkdirSync(OUT, { recursive: true });
    this.logPath = path.join(OUT, "jupyter.log");
    const logFd = fs.openSync(this.logPath, "w");
    this.proc = spawn(jupyter, args, { cwd: NOTEBOOKS, env, stdio: ["ignore", logFd, logFd], detached: true });
    fs.closeSync(logFd);
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, sig) => resolve(sig || code)));
    log(`JupyterLab starting on ${this.base} (pid ${this.proc.pid}, log ${path.relative(ROOT, this.logPath)})`);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const status = await Promise.race([this.exited.then((c) => ({ exited: c })), sleep(300)]);
      if (status?.exited !== undefined) {
        throw new TestFailure(`JupyterLab exited (${status.exited}) before serving:\n${this.logTail()}`);
      }
      try {
        const r = await fetch(`${this.base}/api/status`, { headers: this.auth() });
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
    }
    throw new TestFailure(`JupyterLab did not answer on ${this.base} within 90 s:\n${this.logTail()}`);
  }

  auth() {
    return { Authorization: `token ${this.token}` };
  }

  async api(p, opts = {}) {
    const r = await fetch(`${this.base}${p}`, { ...opts, headers: { ...this.auth(), ...(opts.headers || {}) } });
    if (!r.ok) throw new Error(`${opts.method || "GET"} ${p}: HTTP ${r.status}`);
    const body = await r.text();
    return body ? JSON.parse(body) : null;
  }

  logTail(n = 30) {
    try {
      return fs.readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-n).map((l) => "    " + l).join("\n");
    } catch {
      return "    (no log)";
    }
  }

  // Clean shutdown: the REST API (stops kernels, then the server), then SIGTERM, then SIGKILL.
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.cleanTmp();
    const waitExit = (ms) => Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
    try {
      await this.api("/api/shutdown", { method: "POST", signal: AbortSignal.timeout(5000) });
    } catch (e) {
      log(`POST /api/shutdown failed (${e.message}); sending SIGTERM`);
    }
    let done = await waitExit(15_000);
    for (const sig of ["SIGTERM", "SIGKILL"]) {
      if (done) break;
      log(`JupyterLab still running: ${sig}`);
      try {
        process.kill(-this.proc.pid, sig);
      } catch {
        /* already gone */
      }
      done = await waitExit(10_000);
    }
    log(done ? "JupyterLab stopped" : "JupyterLab did not stop!");
    this.cleanTmp();
  }

  cleanTmp() {
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
    this.tmp = null;
  }
}

// --- the test --------------------------------------------------------------------------------------------------
async function cellStates(page) {
  return page.$$eval(".jp-Notebook .jp-Cell", (cells) =>
    cells.map((c, i) => {
      const code = c.classList.contains("jp-CodeCell");
      const prompt = code ? (c.querySelector(".jp-InputArea-prompt")?.textContent || "").trim() : "";
      return { index: i + 1, code, prompt };
    }),
  );
}

async function kernelState(lab, notebook) {
  const sessions = await lab.api("/api/sessions");
  const s = sessions.find((x) => x.path === notebook || x.notebook?.path === notebook);
  return s?.kernel?.execution_state || "none";
}

async function findErrors(page) {
  return page.$$eval(
    '.jp-Notebook .jp-Cell .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]',
    (els, pattern) => {
      const re = new RegExp(pattern.source, pattern.flags);
      const out = [];
      for (const el of els) {
        const cell = el.closest(".jp-Cell");
        const index = [...cell.parentElement.children].filter((c) => c.classList.contains("jp-Cell")).indexOf(cell) + 1;
        const text = (el.innerText || el.textContent || "").trim();
        const gonbReport = el.closest(".jp-RenderedHTMLCommon") !== null;
        out.push({ index, kind: gonbReport ? "GoNB error report" : "stderr", error: gonbReport || re.test(text), text });
      }
      return out;
    },
    { source: ERROR_TEXT.source, flags: ERROR_TEXT.flags },
  );
}

// --- expected outputs (the same rules as scripts/nbrun.py) ------------------------------------------------------
const STREAMS = new Set(["stdout", "stderr"]);
const MIME_KINDS = [
  ["text/html", "html"], ["text/markdown", "markdown"], ["image/svg+xml", "svg"], ["image/png", "png"],
  ["image/jpeg", "jpeg"], ["application/json", "json"], ["text/plain", "text"],
];
const SMALL = ["1", "true", "yes"].includes((process.env.MUSICREP_NB_SMALL || "").trim().toLowerCase());

function expectedOutputs(nbFile) {
  const nb = JSON.parse(fs.readFileSync(nbFile, "utf8"));
  return nb.cells.map((c) => {
    if (c.cell_type !== "code") return null;
    const m = c.metadata?.musicrep || {};
    return (SMALL && m.outputs_small) || m.outputs || undefined;
  });
}

function kindsMatch(got, want) {
  const displays = (ks) => ks.filter((k) => !STREAMS.has(k)).join(" ");
  const streams = (ks) => [...new Set(ks.filter((k) => STREAMS.has(k)))].sort().join(" ");
  return displays(got) === displays(want) && streams(got) === streams(want);
}

// The kinds of every cell's outputs as JupyterLab shows them (consecutive pieces of one stream are one output).
async function outputKinds(page) {
  return page.$$eval(
    ".jp-Notebook .jp-Cell",
    (cells, mimeKinds) =>
      cells.map((cell) => {
        if (!cell.classList.contains("jp-CodeCell")) return null;
        const kinds = [];
        for (const out of cell.querySelectorAll(".jp-OutputArea-child .jp-OutputArea-output")) {
          const mime = out.getAttribute("data-mime-type") || "";
          let k;
          if (mime === "application/vnd.jupyter.stdout") k = "stdout";
          else if (mime === "application/vnd.jupyter.stderr") k = "stderr";
          else k = (mimeKinds.find(([m]) => m === mime) || [null, mime || "other"])[1];
          if ((k === "stdout" || k === "stderr") && kinds[kinds.length - 1] === k) continue;
          kinds.push(k);
        }
        return kinds;
      }),
    MIME_KINDS,
  );
}

// --- one notebook ------------------------------------------------------------------------------------------------
async function runNotebook(page, lab, notebook, selector, required) {
  const stem = notebook.replace(/\.ipynb$/, "");
  const nbFile = path.join(NOTEBOOKS, notebook);
  for (const f of [`${stem}.png`, `${stem}-failure.png`]) fs.rmSync(path.join(OUT, f), { force: true });
  fs.rmSync(path.join(OUT, stem), { recursive: true, force: true });
  log(`notebook notebooks/${notebook}${required ? `, expecting ${selector} in the outputs` : ""}`);
  const url = `${lab.base}/lab/tree/${encodeURIComponent(notebook)}?reset&token=${lab.token}`;
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: 120_000 });
  await page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first().waitFor({ timeout: 120_000 });
  log("notebook open; waiting for the kernel");
  for (let i = 0; ; i++) {
    const st = await kernelState(lab, notebook);
    if (st === "idle") break;
    if (i > 240) throw new TestFailure(`${notebook}: kernel not idle after 120 s (state: ${st})`);
    await sleep(500);
  }
  log("kernel idle; Run → Run All Cells");
  await page.locator('.lm-MenuBar-item:has(.lm-MenuBar-itemLabel:text-is("Run"))').click();
  await page.locator('.lm-Menu-item:has(.lm-Menu-itemLabel:text-is("Run All Cells"))').click();

  // Done when nothing is queued or running ([*]) and the kernel is idle, twice in a row.
  let stable = 0;
  let last = "";
  for (;;) {
    await sleep(500);
    const cells = await cellStates(page);
    const st = await kernelState(lab, notebook);
    if (st === "dead") throw new TestFailure(`${notebook}: the kernel died`);
    const pending = cells.filter((c) => c.code && c.prompt.includes("*")).length;
    const done = cells.filter((c) => c.code && /\[\d+\]/.test(c.prompt)).length;
    const summary = `${done}/${cells.filter((c) => c.code).length} code cells executed, ${pending} pending, kernel ${st}`;
    if (summary !== last) log(summary);
    last = summary;
    stable = pending === 0 && st === "idle" ? stable + 1 : 0;
    if (stable >= 2) break;
  }

  const failures = [];
  const cells = await cellStates(page);
  const notRun = cells.filter((c) => c.code && !/\[\d+\]/.test(c.prompt));
  if (notRun.length) {
    failures.push(`code cells without an execution count: ${notRun.map((c) => `#${c.index} ${c.prompt}`).join(", ")}`);
  }
  const stderr = await findErrors(page);
  for (const e of stderr.filter((x) => x.error)) {
    failures.push(`cell ${e.index}: ${e.kind}:\n${e.text.split("\n").slice(0, 30).map((l) => "      " + l).join("\n")}`);
  }
  const benign = stderr.filter((x) => !x.error).length;
  if (benign) log(`${benign} stderr output(s) without error patterns (allowed)`);

  // Every code cell's outputs against the kinds recorded in the notebook.
  const want = expectedOutputs(nbFile);
  const got = await outputKinds(page);
  let checked = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === null) continue;
    checked++;
    if (want[i] === undefined) {
      failures.push(`cell ${i + 1}: no expected outputs in its metadata (record them with scripts/nbrun.py --record); ` +
        `it shows [${(got[i] || []).join(", ")}]`);
    } else if (!kindsMatch(got[i] || [], want[i])) {
      failures.push(`cell ${i + 1}: expected outputs [${want[i].join(", ")}], shows [${(got[i] || []).join(", ")}]`);
    }
  }
  log(`outputs of ${checked} code cells checked against their metadata`);

  const target = page.locator(`.jp-Notebook .jp-OutputArea-output ${selector}`).first();
  if (required || (await target.count()) > 0) {
    try {
      await target.waitFor({ state: "visible", timeout: 15_000 });
      await target.scrollIntoViewIfNeeded();
      log(`${selector} is visible`);
    } catch {
      failures.push(`no visible ${selector} in the cell outputs`);
    }
  }
  await sleep(300);
  const shot = path.join(OUT, failures.length ? `${stem}-failure.png` : `${stem}.png`);
  await page.screenshot({ path: shot });
  log(`screenshot ${path.relative(ROOT, shot)}`);
  // Every code cell with its outputs, to look at (a cell taller than the window is cut by the browser).
  fs.mkdirSync(path.join(OUT, stem), { recursive: true });
  const codeCells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell");
  const n = await codeCells.count();
  for (let i = 0; i < n; i++) {
    const cell = codeCells.nth(i);
    try {
      await cell.scrollIntoViewIfNeeded({ timeout: 5_000 });
      await cell.screenshot({ path: path.join(OUT, stem, `cell-${String(i + 1).padStart(2, "0")}.png`), timeout: 10_000 });
    } catch (e) {
      log(`could not screenshot code cell ${i + 1}: ${e.message.split("\n")[0]}`);
    }
  }
  log(`${n} cell screenshots in out/browser/${stem}/`);
  // Stop this notebook's kernel before the next one starts (2 cores).
  try {
    const sessions = await lab.api("/api/sessions");
    for (const s of sessions.filter((x) => x.path === notebook || x.notebook?.path === notebook)) {
      await lab.api(`/api/sessions/${s.id}`, { method: "DELETE" });
    }
  } catch (e) {
    log(`could not stop the kernel of ${notebook}: ${e.message}`);
  }
  return failures;
}

async function main() {
  const notebooks = pickNotebooks(process.argv[2]);
  const all = process.argv[2] === "all";
  const selector = process.argv[3] || "table.musicrep-table";
  if (!fs.existsSync(CHROMIUM)) throw new TestFailure(`${CHROMIUM} missing: run scripts/setup-lab.sh --browser`);

  const originals = new Map(notebooks.map((nb) => [nb, fs.readFileSync(path.join(NOTEBOOKS, nb))]));
  const lab = new Lab();
  let browser = null;
  let page = null;
  const requests = [];
  const blocked = [];
  let consoleErrors = 0;
  const cleanup = async () => {
    if (browser) await browser.close().catch(() => {});
    browser = null;
    await lab.stop();
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(sig, async () => {
      log(`${sig}: shutting down`);
      await cleanup();
      process.exit(130);
    });
  }

  let timer;
  const overall = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new TestFailure(`timed out after ${TOTAL_TIMEOUT_S * notebooks.length} s (MUSICREP_BROWSER_TIMEOUT per notebook)`)),
      TOTAL_TIMEOUT_S * 1000 * notebooks.length,
    );
  });

  const failed = [];
  let current = null;
  const run = async () => {
    await lab.start();
    log("JupyterLab is up; starting chromium");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    context.on("request", (r) => requests.push(`${r.method()} ${r.resourceType()} ${r.url()}`));
    // Anything not on this machine is recorded and blocked (the test must not depend on, or wait for, it).
    await context.route(
      (url) => !isLocal(url.href),
      (route) => {
        blocked.push(route.request().url());
        return route.abort("blockedbyclient");
      },
    );
    page = await context.newPage();
    page.on("websocket", (ws) => {
      requests.push(`WS websocket ${ws.url()}`);
      if (!isLocal(ws.url())) blocked.push(ws.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors++;
    });
    page.on("pageerror", (e) => log(`page error: ${e.message}`));
    for (const notebook of notebooks) {
      current = notebook;
      const failures = await runNotebook(page, lab, notebook, selector, !all);
      if (failures.length) {
        failed.push(`${notebook}:\n  ${failures.join("\n  ")}`);
        log(`FAIL ${notebook}`);
      } else {
        log(`ok   ${notebook}`);
      }
    }
    current = null;
  };

  try {
    await Promise.race([run(), overall]);
  } catch (e) {
    if (page && !page.isClosed() && current) {
      const shot = path.join(OUT, `${current.replace(/\.ipynb$/, "")}-failure.png`);
      await page.screenshot({ path: shot }).then(() => log(`screenshot ${path.relative(ROOT, shot)}`)).catch(() => {});
    }
    throw e;
  } finally {
    clearTimeout(timer);
    fs.mkdirSync(OUT, { recursive: true });
    const reqName = notebooks.length === 1 ? notebooks[0].replace(/\.ipynb$/, "") : "all";
    fs.writeFileSync(path.join(OUT, `${reqName}-requests.txt`), requests.join("\n") + "\n");
    await cleanup();
    for (const [nb, original] of originals) {
      const nbFile = path.join(NOTEBOOKS, nb);
      if (!fs.readFileSync(nbFile).equals(original)) {
        fs.writeFileSync(nbFile, original);
        throw new TestFailure(`notebooks/${nb} was modified during the test (restored)`);
      }
    }
    log(`${requests.length} requests (list in out/browser/${reqName}-requests.txt), ${consoleErrors} console errors`);
  }
  if (failed.length) throw new TestFailure(`${failed.length} of ${notebooks.length} notebook(s) failed:\n${failed.join("\n")}`);
  if (blocked.length) {
    const uniq = [...new Set(blocked)];
    throw new TestFailure(`the page made ${blocked.length} request(s) beyond localhost (blocked):\n    ${uniq.join("\n    ")}`);
  }
}

main().then(
  () => {
    log("PASS");
    process.exit(0);
  },
  (e) => {
    console.error(`[browser-test ${secs().padStart(6)} s] FAIL: ${e instanceof TestFailure ? e.message : e.stack || e}`);
    process.exit(1);
  },
);
