"""Customers and subcontractors of a company."""
