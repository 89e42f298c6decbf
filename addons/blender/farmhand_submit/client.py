"""`farmhand serve`'s API from Blender, with the standard library only (an
add-on cannot count on anything else being installed in Blender's Python)."""
import json
import urllib.error
import urllib.request


class FarmError(Exception):
    """What the farm said, in words for the artist."""


def _request(url, token, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method="POST" if data else "GET")
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return json.loads(res.read().decode())
    except urllib.error.HTTPError as e:
        raise FarmError(_explain(e)) from None
    except (urllib.error.URLError, OSError) as e:
        raise FarmError("cannot reach the farm at %s: %s" % (url, getattr(e, "reason", e))) from None


def _explain(e):
    try:
        answer = json.loads(e.read().decode())
    except ValueError:
        answer = {}
    if e.code == 401:
        return "the farm refused the token (HTTP 401): set it in the add-on's preferences"
    if answer.get("errors"):
        return "the farm refused the job: " + "; ".join(
            "%s: %s" % (p.get("parameter") or p.get("path") or "job", p.get("message")) for p in answer["errors"])
    return "the farm answered HTTP %d: %s" % (e.code, answer.get("error", e.reason))


def templates(url, token):
    return _request(url, token, "/api/templates").get("templates", [])


def submit(url, token, body):
    """Posts a job (a description, or {"template", "parameters"}); returns
    the server's answer: {"id", "name", "n_items", "url"}."""
    return _request(url, token, "/api/jobs", body)
