"""A scalar expression, its gradients, and its computation graph.

    python examples/01_scalar_expression.py          # writes expression.svg (or .dot)

Every arithmetic operation on a Value records a node; backward() walks the nodes from the
output back to the inputs, applying the chain rule once per node.
"""
import shutil

from microgradnn import Value, draw_graph

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
    graph.render("expression", format="svg", cleanup=True)
    print("wrote expression.svg")
else:
    with open("expression.dot", "w") as out:
        out.write(graph.source)
    print("wrote expression.dot (install Graphviz to get pictures: apt-get install graphviz)")
