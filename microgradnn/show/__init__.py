"""What shows and explains a computation: the backward trace, Graphviz drawings, the explorer
page and plots. These modules look at the core from outside; nothing below imports them."""
