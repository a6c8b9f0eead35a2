"""Rotas: forecast demand, propose shifts with CP-SAT, explain clashes, apply."""
