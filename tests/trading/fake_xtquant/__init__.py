"""A test fixture, not product code: the part of xtquant's trading API thermoquant uses, with the real module names
(xttrader, xttype, xtconstant), class names, constructor and method argument orders, return codes and callback
objects of xtquant's own ``xttrader.py`` / ``xttype.py`` / ``xtconstant.py``, over a tiny in-memory venue.

Venue knobs (``XtQuantTrader.venue``) reproduce the traps users report: ``minus_one_but_live`` (order_stock returns
−1 although the order went live), ``silent_reject_funds`` (an insufficient-funds rejection: −1, no order record, no
callback), ``rest_orders`` (orders rest unfilled until ``fill_resting``).
"""
