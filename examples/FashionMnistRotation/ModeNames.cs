/// <summary>Display names of the training modes.</summary>
internal static class ModeNames
{
    public static string Label(this Mode m) => m switch
    {
        Mode.Plain => "(a) plain",
        Mode.Regularized => "(b) regularized",
        _ => "(c) alternating",
    };
}
