global using EquivarianceRegularizer.Tests.Support;
global using EquivarianceRegularizer.Tests.Zoo;
