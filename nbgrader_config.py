"""nbgrader configuration for this course: headless, from this folder.

The course root is this repository: ``source/<ps>/<ps>.ipynb`` come from
``autograder build``, and nbgrader writes ``release/``, ``submitted/``,
``autograded/`` and ``feedback/`` beside them.  No Jupyter server is needed:
everything runs from the command line (``nbgrader generate_assignment``,
``nbgrader autograde``, ``nbgrader generate_feedback``, ``nbgrader export``).
"""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "optimization-in-deep-learning"
c.CourseDirectory.root = os.environ.get("NBGRADER_COURSE_ROOT", os.path.dirname(os.path.abspath(__file__)))

# A cell that runs longer than this is stopped and scores 0.
c.Execute.timeout = 60

# Any stderr output zeroes a test cell in nbgrader; a warning is not a wrong answer.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning|warn\("

# Feedback shows the test cells without their hidden part.
c.ClearHiddenTests.enabled = True
c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
