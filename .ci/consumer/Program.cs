// The example of the Hrm package's README (src/Hrm/README.md, "Solve a maze"), which .ci/run builds in a fresh
// `dotnet new console` app against the packed package and runs: it must print the maze with its path and "solved".
using Hrm.Evaluation;

using var solver = Solver.Load("models/maze");        // the repository's models/maze folder, copied beside the app
string[] maze =                                        // '#' wall, ' ' open, S start, G goal
[
    "G # # #  ##",
    "#   #  # # ",
    " ##      ##",
    "  ##   ### ",
    " ##  ######",
    "   #      S",
    "         ##",
    "#   #  # # ",
    "        ###",
    "  #   # #  ",
    "  #      # ",
];
var answer = solver.SolveMaze(maze);
Console.WriteLine(answer.Text);                        // the maze with the model's path marked 'o'
Console.WriteLine(answer.Valid ? $"solved in {answer.Segments} segments" : $"not solved: {answer.Problem}");
return answer.Valid ? 0 : 1;
