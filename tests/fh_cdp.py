"""fh_cdp.py — real headless Chromium driven over the DevTools protocol,
for the farm UI's browser tests and benchmark.

websocket-client (Debian's python3-websocket, under /usr/bin/python3)
carries the protocol; nothing else is needed.  Waiting is on events in
the page: wait_for() resolves a promise from a MutationObserver when its
condition holds, with a timeout only as a bound.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile

import websocket


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, width=1280, height=800):
        path = chromium_path()
        if path is None:
            raise CdpError("no chromium on PATH")
        self.profile = tempfile.mkdtemp(prefix="fh-chromium-")
        args = [path, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"]
        # Chromium gets none of the sanitizer runtimes a sanitized build's
        # tests preload into Python.
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, env=env)
        url = None
        seen = []
        for line in self.proc.stderr:
            seen.append(line)
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                url = m.group(1)
                break
        if url is None:
            self.close()
            raise CdpError("chromium did not start:\n" + "".join(seen[-20:]))
        # Keep reading its stderr so that it never blocks on a full pipe.
        self._drain = subprocess.Popen(["cat"], stdin=self.proc.stderr, stdout=subprocess.DEVNULL)
        self.ws = websocket.create_connection(url, suppress_origin=True, timeout=120)
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, width=1280, height=800):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session, width, height)

    def close(self):
        try:
            if getattr(self, "ws", None):
                self.send("Browser.close")
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if getattr(self, "_drain", None):
            self._drain.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser, session, width, height):
        self.browser = browser
        self.session = session
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.viewport(width, height)

    def send(self, method, params=None):
        return self.browser.send(method, params, self.session)

    def viewport(self, width, height):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700})

    def errors(self):
        """Uncaught exceptions and console errors of this page so far."""
        out = []
        for e in self.browser.events:
            if e.get("sessionId") != self.session:
                continue
            if e.get("method") == "Runtime.exceptionThrown":
                d = e["params"]["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text"))
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in e["params"]["args"]))
        return out

    def navigate(self, url):
        self.send("Page.navigate", {"url": url})
        if not self.wait_for("document.readyState === 'complete'"):
            raise CdpError(f"{url} did not load")

    def eval(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                            "returnByValue": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CdpError(d.get("exception", {}).get("description") or d.get("text"))
        return r["result"].get("value")

    def wait_for(self, condition, timeout_s=30):
        """Whether @condition (a JS expression) became true within the bound:
        checked at once, on every change of the document and of its
        readyState."""
        js = """new Promise((resolve) => {
          const check = () => { try { return !!(%s); } catch (e) { return false; } };
          if (check()) { resolve(true); return; }
          const done = () => { mo.disconnect(); document.removeEventListener('readystatechange', on); clearTimeout(t); };
          const on = () => { if (check()) { done(); resolve(true); } };
          const mo = new MutationObserver(on);
          mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
          // The document's state is no mutation: a page that changes nothing
          // once loaded still completes.
          document.addEventListener('readystatechange', on);
          const t = setTimeout(() => { done(); resolve(check()); }, %d);
        })""" % (condition, int(timeout_s * 1000))
        return self.eval(js)

    def click(self, selector):
        if not self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                         f"if (!e) return false; e.click(); return true; }})()"):
            raise CdpError(f"nothing matches {selector}")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
