namespace LatencyNas.Core.Spaces.Nb201;

/// <summary>
/// The official NAS-Bench-201 topology index (0…15,624), the key NB201's API, NATS-Bench, HW-NAS-Bench and
/// HELP join on. It is not an enumeration order: the benchmark listed the cells in digit order (edge 0
/// slowest, ops none, skip, 1×1, 3×3, pool) and shuffled the list with Python's <c>random.seed(88)</c>;
/// <c>random.shuffle</c>. This class replays that shuffle — CPython's Mersenne Twister, its integer
/// seeding and its rejection-sampled <c>randbelow</c> — so the index needs no table.
/// </summary>
public static class Nb201Index
{
    private const int Seed = 88;

    private static readonly Lazy<(Architecture[] ByIndex, Dictionary<Architecture, int> IndexOf)> Order = new(Build);

    public static int Count => Order.Value.ByIndex.Length;

    /// <exception cref="InvalidInputException">The index is outside 0…15,624.</exception>
    public static Architecture At(int index)
    {
        var byIndex = Order.Value.ByIndex;
        return index >= 0 && index < byIndex.Length
            ? byIndex[index]
            : throw new InvalidInputException($"#{index} is not an NB201 index: they run from #0 to #{byIndex.Length - 1}.");
    }

    public static int Of(Architecture architecture) => Order.Value.IndexOf[architecture];

    private static (Architecture[], Dictionary<Architecture, int>) Build()
    {
        var space = Nb201Space.Instance;
        var list = space.Enumerate().ToArray();
        var random = new PythonRandom(Seed);
        for (int i = list.Length - 1; i > 0; i--)
        {
            int j = random.Below(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return (list, list.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i));
    }

    /// <summary>CPython's <c>random.Random</c>, as far as <c>seed(int)</c> and <c>shuffle</c> use it.</summary>
    private sealed class PythonRandom
    {
        private const int N = 624;
        private const int M = 397;
        private readonly uint[] _state = new uint[N];
        private int _next = N + 1;

        /// <summary><c>seed(n)</c> for a non-negative n below 2³²: init_by_array with the one key word n.</summary>
        public PythonRandom(uint seed)
        {
            InitGenrand(19650218u);
            int i = 1;
            int j = 0;
            for (int k = N; k > 0; k--)
            {
                _state[i] = (_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1664525u)) + seed + (uint)j;
                i++;
                j = 0; // the key has one word
                if (i >= N)
                {
                    _state[0] = _state[N - 1];
                    i = 1;
                }
            }
            for (int k = N - 1; k > 0; k--)
            {
                _state[i] = (_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1566083941u)) - (uint)i;
                i++;
                if (i >= N)
                {
                    _state[0] = _state[N - 1];
                    i = 1;
                }
            }
            _state[0] = 0x80000000u;
        }

        /// <summary><c>_randbelow(n)</c>: k = n.bit_length() random bits, drawn again until below n.</summary>
        public int Below(int n)
        {
            int bits = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
            uint value;
            do
            {
                value = Next() >> (32 - bits);
            }
            while (value >= (uint)n);
            return (int)value;
        }

        private void InitGenrand(uint seed)
        {
            _state[0] = seed;
            for (int i = 1; i < N; i++)
            {
                _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
            }
            _next = N;
        }

        private uint Next()
        {
            if (_next >= N)
            {
                for (int k = 0; k < N; k++)
                {
                    uint y = (_state[k] & 0x80000000u) | (_state[(k + 1) % N] & 0x7fffffffu);
                    _state[k] = _state[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0u);
                }
                _next = 0;
            }
            uint x = _state[_next++];
            x ^= x >> 11;
            x ^= (x << 7) & 0x9d2c5680u;
            x ^= (x << 15) & 0xefc60000u;
            x ^= x >> 18;
            return x;
        }
    }
}
