"""oncoseries.examples"""
