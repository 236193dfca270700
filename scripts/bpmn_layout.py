#!/usr/bin/env python3
"""(Re)compute the BPMN diagram interchange (BPMNDI) of a BPMN 2.0 file.

    python scripts/bpmn_layout.py FILE.bpmn [--in-place]

Without --in-place the result goes to stdout.  The semantic XML is left as
parsed (CDATA, comments, extension elements kept); every bpmndi:BPMNDiagram is
dropped and rebuilt: one diagram for the collaboration (pools stacked, lanes as
horizontal bands), one per process not in a pool, one per sub-process (bpmn-js
shows sub-processes collapsed and drills into their own plane).  Deterministic:
everything is iterated in document order, no sets or hashes decide geometry.
"""

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
SUBPROCS = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {
    "task",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "serviceTask",
    "manualTask",
    "sendTask",
    "receiveTask",
    "callActivity",
} | SUBPROCS
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS

GAP = 80  # horizontal gap between columns: room for the vertical edge segments
ROW = 120  # vertical slot per stacked node: 80 task + room for a boundary event below
PAD_X, PAD_Y = 50, 20  # band padding (PAD_X also clears the 30 px lane-label strip)
CHANNEL = 12  # spacing of the parallel horizontal tracks used by back / detour edges
MIN_BAND = 160
POOL_LABEL, POOL_GAP, X0, Y0 = 30, 60, 160, 80


def q(prefix, tag):
    return f"{{{NS[prefix]}}}{tag}"


def local(el):
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def size(el):
    kind = local(el)
    return (36, 36) if kind in EVENTS else (50, 50) if kind in GATEWAYS else (100, 80)


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class Layout:
    """Positions for the flow nodes of one process or sub-process, in horizontal bands."""

    def __init__(self, container, bands, x0, y0):
        # bands: [(lane element or None, set of node ids)], top to bottom.
        nodes = [el for el in container if local(el) in FLOW_NODES]
        self.el = {n.get("id"): n for n in nodes}
        self.host = {
            i: n.get("attachedToRef")
            for i, n in self.el.items()
            if local(n) == "boundaryEvent" and n.get("attachedToRef") in self.el
        }
        main = [i for i in self.el if i not in self.host]
        self.flows = [
            (f.get("id"), f.get("sourceRef"), f.get("targetRef"))
            for f in container
            if local(f) == "sequenceFlow" and f.get("sourceRef") in self.el and f.get("targetRef") in self.el
        ]
        anchor = self.anchor
        succ, incoming = defaultdict(list), set()
        for fid, s, t in self.flows:  # a boundary event's flows count as its host's for ordering
            succ[anchor(s)].append((fid, anchor(t)))
            incoming.add(anchor(t))
        # Back edges: DFS from start events (then from sources, then anything left, for
        # unreachable parts); an edge into a node still on the DFS stack closes a loop.
        self.back, self.order, stack = set(), {}, set()

        def dfs(n):
            self.order[n] = len(self.order)
            stack.add(n)
            for fid, t in succ[n]:
                if t in stack:
                    self.back.add(fid)
                elif t not in self.order:
                    dfs(t)
            stack.discard(n)

        starts = [i for i in main if local(self.el[i]) == "startEvent"] + [i for i in main if i not in incoming]
        for n in starts + main:
            if n not in self.order:
                dfs(n)
        # Longest-path layering on the acyclic rest: a node sits right of all its predecessors.
        self.preds = defaultdict(list)
        for fid, s, t in self.flows:
            if fid not in self.back:
                self.preds[anchor(t)].append(s)
        self.col = {}

        def layer(n):
            if n not in self.col:
                self.col[n] = max((layer(anchor(p)) + 1 for p in self.preds[n]), default=0)
            return self.col[n]

        for n in main:
            layer(n)
        lane_of = {n: b for b, (_, ids) in enumerate(bands) for n in ids}
        if any(n not in lane_of for n in main):  # nodes in no lane get an extra, unlabelled band
            bands = bands + [(None, set())]
        self.bands, self.band = bands, {n: lane_of.get(n, len(bands) - 1) for n in main}
        self.cells = defaultdict(list)
        for n in main:
            self.cells[(self.band[n], self.col[n])].append(n)
        ncols = max(self.col.values(), default=-1) + 1
        colw = [max((size(self.el[n])[0] for n in main if self.col[n] == c), default=0) for c in range(ncols)]
        self.colx = [x0 + PAD_X + sum(colw[:c]) + GAP * c for c in range(ncols)]
        self.colw, self.y0 = colw, y0
        self.width = PAD_X * 2 + sum(colw) + GAP * max(ncols - 1, 0)
        # Rows (tracks) inside a band: a node keeps its predecessor's row when free, so the
        # main path stays a straight line and branches fan out below it; a boundary event's
        # successor prefers the row under the host (the flow leaves downwards).
        self.row = {}
        for c in range(ncols):
            for b in range(len(bands)):

                def wanted(n):  # rows in other bands say nothing about this one
                    rows = [
                        self.row[self.anchor(p)] + (p in self.host)
                        for p in self.preds[n]
                        if self.band[self.anchor(p)] == b
                    ]
                    return (min(rows, default=0), self.order.get(n, 0))

                taken = set()
                for n in sorted(self.cells.get((b, c), []), key=wanted):
                    r = wanted(n)[0]
                    while r in taken:
                        r += 1
                    taken.add(r)
                    self.row[n] = r
        self.rows = [max((self.row[n] + 1 for n in main if self.band[n] == i), default=1) for i in range(len(bands))]
        # Back edges run in a track below the lower band of their two ends.
        self.bottom = {}
        count = defaultdict(int)
        for fid, s, t in self.flows:
            if fid in self.back:
                b = max(self.band[anchor(s)], self.band[anchor(t)])
                self.bottom[fid], count[b] = (b, count[b]), count[b] + 1
        self.nbottom = [count[b] for b in range(len(bands))]
        # Forward edges that would cut through a node detour via a track above their band;
        # how many there are depends on the geometry, so place and route until it settles.
        self.ntop = [0] * len(bands)
        for _ in range(5):
            self.place()
            self.route_all()
            ntop, self.ntop = self.ntop, [sum(b == i for b, _ in self.top.values()) for i in range(len(bands))]
            if ntop == self.ntop:
                break

    def anchor(self, n):
        return self.host.get(n, n)

    def place(self):
        self.bandy, y = [], self.y0
        for b in range(len(self.bands)):
            chans = (self.ntop[b] + self.nbottom[b]) * CHANNEL
            content = max(self.rows[b] * ROW, MIN_BAND - 2 * PAD_Y - chans)
            self.bandy.append((y, 2 * PAD_Y + chans + content, content))
            y += self.bandy[-1][1]
        self.height = y - self.y0
        self.pos = {}
        for n, r in self.row.items():
            by, _, content = self.bandy[self.band[n]]
            top = by + PAD_Y + self.ntop[self.band[n]] * CHANNEL + (content - self.rows[self.band[n]] * ROW) // 2
            w, h = size(self.el[n])
            c = self.col[n]
            cx, cy = self.colx[c] + self.colw[c] // 2, top + r * ROW + ROW // 2
            self.pos[n] = (cx - w // 2, cy - h // 2, w, h)
        per_host = defaultdict(int)
        for n, hst in self.host.items():  # boundary events: on the host's bottom edge, right-aligned
            x, y, w, h = self.pos[hst]
            self.pos[n] = (x + w - 38 - 44 * per_host[hst], y + h - 18, 36, 36)
            per_host[hst] += 1

    def blocked(self, pts, ends):
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            seg = (min(ax, bx), min(ay, by), abs(ax - bx) or 1, abs(ay - by) or 1)
            for n, r in self.pos.items():
                if n not in ends and overlaps(seg, (r[0] + 2, r[1] + 2, r[2] - 4, r[3] - 4)):
                    return True
        return False

    def route_all(self):
        self.top, self.edges, count = {}, {}, defaultdict(int)
        for fid, s, t in self.flows:
            ends = {s, t, self.anchor(s), self.anchor(t)} | {b for b, h in self.host.items() if h in (s, t)}
            candidates = self.routes(fid, s, t)
            pts = next((p for p in candidates if not self.blocked(p, ends)), None)
            b = self.band[self.anchor(s)]
            if pts is None and fid not in self.back and s not in self.host and b == self.band[self.anchor(t)]:
                self.top[fid], count[b] = (b, count[b]), count[b] + 1
                candidates = self.routes(fid, s, t)
            self.edges[fid] = pts or candidates[0]

    def routes(self, fid, s, t):
        """Candidate orthogonal waypoint lists, preferred first: leave right, turn in a
        column gap, enter left; the first one that cuts through no node is used."""
        sx, sy, sw, sh = self.pos[s]
        tx, ty, tw, th = self.pos[t]
        scx, scy, tcx, tcy = sx + sw // 2, sy + sh // 2, tx + tw // 2, ty + th // 2
        cs, ct = self.col[self.anchor(s)], self.col.get(t, 0)
        gap_t = self.colx[ct] - GAP * 5 // 8  # the gap before the target's column ...
        gap_s = self.colx[cs] + self.colw[cs] + GAP * 3 // 8  # ... and after the source's
        same_band = self.band[self.anchor(s)] == self.band[self.anchor(t)]
        if fid in self.back:  # below both nodes, into the target's bottom
            b, k = self.bottom[fid]
            by, bh, _ = self.bandy[b]
            y = by + bh - PAD_Y - (self.nbottom[b] - 1 - k) * CHANNEL
            tx_in = tcx if t != self.anchor(s) else tx + 10  # self-loop: keep the ends apart
            return [[(scx, sy + sh), (scx, y), (tx_in, y), (tx_in, ty + th)]]
        if fid in self.top:  # detour above the band, into the target's top
            y = self.bandy[self.top[fid][0]][0] + PAD_Y + self.top[fid][1] * CHANNEL
            return [[(scx, sy), (scx, y), (tcx, y), (tcx, ty)]]
        if s in self.host:  # boundary event: leave downwards, then right
            y = sy + sh + 8
            jog = [[(scx, sy + sh), (scx, y), (gx, y), (gx, tcy), (tx, tcy)] for gx in (gap_t, gap_s)]
            return ([[(scx, sy + sh), (scx, tcy), (tx, tcy)]] if same_band and tcy > y else []) + jog
        if scy == tcy:
            first = [(sx + sw, scy), (tx, tcy)]
        elif same_band and local(self.el[s]) in GATEWAYS:  # split: out of the top/bottom corner
            first = [(scx, sy if tcy < scy else sy + sh), (scx, tcy), (tx, tcy)]
        elif same_band and local(self.el[t]) in GATEWAYS:  # join: into the top/bottom corner
            first = [(sx + sw, scy), (tcx, scy), (tcx, ty if scy < tcy else ty + th)]
        else:
            first = [(sx + sw, scy), (gap_t, scy), (gap_t, tcy), (tx, tcy)]
        return [first] + [[(sx + sw, scy), (gx, scy), (gx, tcy), (tx, tcy)] for gx in (gap_s, gap_t) if scy != tcy]


def add_bounds(parent, x, y, w, h):
    b = etree.SubElement(parent, q("dc", "Bounds"))
    for k, v in zip(("x", "y", "width", "height"), (x, y, w, h)):
        b.set(k, str(int(v)))


class Plane:
    """One bpmndi:BPMNDiagram/BPMNPlane; remembers every box drawn so labels dodge them."""

    def __init__(self, root, element):
        missing = {p: NS[p] for p in ("bpmndi", "dc", "di") if NS[p] not in root.nsmap.values()}
        eid = element.get("id")
        self.diagram = etree.Element(q("bpmndi", "BPMNDiagram"), nsmap=missing or None, id="BPMNDiagram_" + eid)
        self.plane = etree.SubElement(self.diagram, q("bpmndi", "BPMNPlane"), id="BPMNPlane_" + eid, bpmnElement=eid)
        self.taken = []

    def label(self, parent, text, x, y, max_w, align=0.0, above=True):
        """External label anchored at (x, y): align 0/0.5/1 puts the box's left/centre/right
        at x; the box ends (above) or starts at y, moving further away while it would cover
        a node or another label.  CJK glyphs ~13 px wide, others ~7 px, at bpmn-js' 11 px."""
        est = sum(13 if ord(ch) > 255 else 7 for ch in text)
        w = max(24, min(max(max_w, 40), est + 6))
        h = 14 * -(-est // (w - 4))
        for shift in (0, 1, 2, 3, 0):
            box = (x - w * align, (y - h - shift * h) if above else (y + shift * h), w, h)
            if not any(overlaps(box, other) for other in self.taken):
                break
        self.taken.append(box)
        add_bounds(etree.SubElement(parent, q("bpmndi", "BPMNLabel")), *box)

    def shape(self, el, rect, **attrs):
        s = etree.SubElement(self.plane, q("bpmndi", "BPMNShape"), id=el.get("id") + "_di", bpmnElement=el.get("id"))
        for k, v in attrs.items():
            s.set(k, v)
        add_bounds(s, *rect)
        name, kind, (x, y, w, h) = (el.get("name") or "").strip(), local(el), rect
        # Labels go where flows do not: gateways split out of their top/bottom corners, so
        # theirs sits above-left, narrow to stay clear of the gap where flows turn; a
        # boundary event's flow leaves downwards, so its label is left of that; other
        # events only have flows on their left and right sides.
        if name and kind in GATEWAYS:
            self.label(s, name, x + w // 2 - 8, y - 2, 60, align=1)
        elif name and kind == "boundaryEvent":
            self.label(s, name, x + 2, y + h + 2, 90, align=1, above=False)
        elif name and kind in EVENTS:
            self.label(s, name, x + w // 2, y + h + 5, 90, align=0.5, above=False)

    def edge(self, el, pts):
        e = etree.SubElement(self.plane, q("bpmndi", "BPMNEdge"), id=el.get("id") + "_di", bpmnElement=el.get("id"))
        for x, y in pts:
            etree.SubElement(e, q("di", "waypoint"), x=str(int(x)), y=str(int(y)))
        name = (el.get("name") or "").strip()
        if not name:
            return
        # Above the final horizontal run when the flow turns into it (each branch of a split
        # ends in its own row); beside the start of a flow leaving vertically (back edges and
        # detours share stacked tracks); else above the longest horizontal run.
        if len(pts) > 2 and pts[-1][1] == pts[-2][1]:
            (ax, ay), (bx, _) = pts[-2], pts[-1]
        elif pts[0][0] == pts[1][0]:
            down = pts[1][1] > pts[0][1]
            return self.label(e, name, pts[0][0] + 4, pts[0][1] + (2 if down else -2), 90, above=not down)
        else:
            (ax, ay), (bx, _) = max(
                ((a, b) for a, b in zip(pts, pts[1:]) if a[1] == b[1]),
                key=lambda ab: abs(ab[0][0] - ab[1][0]),
                default=(pts[0], pts[1]),
            )
        self.label(e, name, min(ax, bx) + 4, ay - 2, abs(bx - ax) - 10)

    def layout(self, lay, container, lane_x=None, lane_w=None):
        if lane_x is not None:
            for (lane, _), (y, h, _) in zip(lay.bands, lay.bandy):
                if lane is not None:
                    self.shape(lane, (lane_x, y, lane_w, h), isHorizontal="true")
        self.taken += lay.pos.values()
        for n, el in lay.el.items():
            kind, attrs = local(el), {}
            if kind == "exclusiveGateway":
                attrs["isMarkerVisible"] = "true"
            if kind in SUBPROCS:
                attrs["isExpanded"] = "false"
            self.shape(el, lay.pos[n], **attrs)
        for f in container:
            if local(f) == "sequenceFlow" and f.get("id") in lay.edges:
                self.edge(f, lay.edges[f.get("id")])


def lane_bands(process):
    lanes = process.findall(f"{q('bpmn', 'laneSet')}/{q('bpmn', 'lane')}")
    return [(ln, {r.text.strip() for r in ln.findall(q("bpmn", "flowNodeRef")) if r.text}) for ln in lanes]


def build_diagrams(root):
    planes = []
    procs = {p.get("id"): p for p in root.findall(q("bpmn", "process"))}
    in_pool = set()
    for collab in root.findall(q("bpmn", "collaboration")):
        plane, pools, y, shapes = Plane(root, collab), [], Y0, {}
        for part in collab.findall(q("bpmn", "participant")):  # pools stacked top to bottom
            proc = procs.get(part.get("processRef"))
            lay = Layout(proc, lane_bands(proc), X0 + POOL_LABEL, y) if proc is not None else None
            pools.append((part, proc, lay, y, max(lay.height, MIN_BAND) if lay else 80))
            y += pools[-1][4] + POOL_GAP
            in_pool.add(part.get("processRef"))
        width = max([600] + [POOL_LABEL + lay.width for _, _, lay, _, _ in pools if lay])
        for part, proc, lay, py, h in pools:
            plane.shape(part, (X0, py, width, h), isHorizontal="true")
            shapes[part.get("id")] = (X0, py, width, h)
            if lay:
                plane.layout(lay, proc, X0 + POOL_LABEL, width - POOL_LABEL)
                shapes.update(lay.pos)
        for mf in collab.findall(q("bpmn", "messageFlow")):  # vertical between pools, jog halfway
            s, t = shapes.get(mf.get("sourceRef")), shapes.get(mf.get("targetRef"))
            if s and t:
                sy, ty = (s[1] + s[3], t[1]) if s[1] < t[1] else (s[1], t[1] + t[3])
                sx, tx, my = s[0] + s[2] // 2, t[0] + t[2] // 2, (sy + ty) // 2
                plane.edge(mf, [(sx, sy), (sx, my), (tx, my), (tx, ty)])
        planes.append(plane)
    # Processes outside any pool, then every sub-process's own (drill-down) plane; no lanes.
    loose = [p for pid, p in procs.items() if pid not in in_pool]
    for container in loose + list(root.iter(*(q("bpmn", k) for k in sorted(SUBPROCS)))):
        planes.append(Plane(root, container))
        planes[-1].layout(Layout(container, [(None, set())], X0, Y0), container)
    return [p.diagram for p in planes]


# A whole BPMNDiagram element in the text under whatever prefix it has, with its line's
# indentation and end.
DIAGRAM_RE = re.compile(rb"[ \t]*<((?:[\w.-]+:)?)BPMNDiagram[\s>].*?</\1BPMNDiagram\s*>[ \t]*\r?\n?", re.S)


def relayout(data: bytes) -> bytes:
    """Return data with its BPMNDI rebuilt.  The semantic part is passed through as the
    original bytes (lxml would re-serialise `<a />` as `<a/>`, quotes, etc.)."""
    parser = etree.XMLParser(remove_blank_text=False, strip_cdata=False, resolve_entities=False)
    root = etree.fromstring(data, parser)
    # Drop old diagrams from the text (with their indentation and line end) and the tree.
    kept = DIAGRAM_RE.sub(b"", data)
    for old in root.findall(q("bpmndi", "BPMNDiagram")):
        root.remove(old)
    unit = (root.text or "\n  ").lstrip("\r\n") or "  "
    diagrams = build_diagrams(root)
    for d in diagrams:  # serialised in place, so namespace prefixes resolve as in the file
        root.append(d)
        etree.indent(d, space=unit, level=1)
    out = etree.tostring(root, encoding=etree.ElementTree(root).docinfo.encoding or "UTF-8")
    block = b"".join(unit.encode() + m.group(0).strip() + b"\n" for m in DIAGRAM_RE.finditer(out))
    close = kept.rindex(b"</")  # the root's closing tag
    if block and not kept[:close].endswith(b"\n"):
        block = b"\n" + block
    return kept[:close] + block + kept[close:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--in-place", action="store_true", help="overwrite FILE instead of printing")
    args = ap.parse_args(argv)
    out = relayout(Path(args.file).read_bytes())
    Path(args.file).write_bytes(out) if args.in_place else sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
