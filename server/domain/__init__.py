"""Pure domain rules over plain values, one module per aggregate: no Flask, no session, no tables."""
