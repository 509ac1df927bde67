"""oncoseries.analysis"""
