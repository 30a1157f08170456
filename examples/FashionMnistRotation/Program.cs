Console.WriteLine("FashionMnistRotation: see README");
