/* The baseline of P1/P2: a program that does nothing. */
int main(void)
{
	return 0;
}
