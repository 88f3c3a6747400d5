"""A scalar expression, its gradients, and its computation graph.

    python examples/01_scalar_expression.py [--out DIR]    # writes DIR/expression.svg (or .dot)

DIR defaults to out/ in the current directory (git ignores it). Every arithmetic operation on
a Value records a node; backward() walks the nodes from the output back to the inputs, applying
the chain rule once per node.
"""
import argparse
import shutil
from pathlib import Path

from microgradnn import Value, draw_graph

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="out", help="folder for the picture (default: out/)")
out_dir = Path(parser.parse_args().out)
out_dir.mkdir(parents=True, exist_ok=True)

# The leaves: the numbers we want derivatives with respect to. Labels name them in drawings.
x = Value(2.0, label="x")
y = Value(-3.0, label="y")

# f(x, y) = x·y + tanh(x) — each operator below creates one node of the graph.
xy = x * y
xy.label = "x*y"
f = xy + x.tanh()
f.label = "f"

f.backward()    # df/d(node) for every node, stored in .grad

# Check against the derivatives worked out by hand:
#   df/dx = y + (1 − tanh²x),   df/dy = x
print(f"f = {f.data:.6f}")
print(f"df/dx = {x.grad:.6f}   (by hand: {y.data + 1 - x.tanh().data ** 2:.6f})")
print(f"df/dy = {y.grad:.6f}   (by hand: {x.data:.6f})")

# Draw it: boxes are values (data and grad), ovals are operations.
graph = draw_graph(f)
if shutil.which("dot"):
    path = out_dir / "expression.svg"
    path.write_bytes(graph.pipe(format="svg"))
    print(f"wrote {path}")
else:
    path = out_dir / "expression.dot"
    path.write_text(graph.source, encoding="utf-8")
    print(f"wrote {path} (install Graphviz to get pictures: apt-get install graphviz)")
