"""The one ``learning`` blueprint; the learner's, the exam's and the staff's view modules
add their routes to it."""
from flask import Blueprint

bp = Blueprint("learning", __name__)
